using Grpc.Core;
using Recommender.ServiceDefaults.Grpc;
using Recommender.Vector.Storage;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>
/// The behaviour every <see cref="IVectorStore"/> must have. Each backend runs it through a subclass; expected
/// results come from <see cref="Oracle"/>, so passing here on two backends also means they answer alike.
/// </summary>
public abstract class VectorStoreBehaviour
{
    protected const int MinPrefetch = 12;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static VectorSearchOptions SearchOptions => new() { MinPrefetch = MinPrefetch };

    /// <summary>A new, empty store (its own collection or folder).</summary>
    protected abstract Task<IVectorStore> CreateStoreAsync();

    protected async Task<IVectorStore> CatalogStoreAsync()
    {
        var store = await CreateStoreAsync();
        var result = await store.UpsertAsync(Catalog(), Ct);
        Assert.Equal(new UpsertResult(Catalog().Count, 0), result);
        return store;
    }

    protected static Oracle CatalogOracle() => new(Catalog(), MinPrefetch);

    [Fact]
    public async Task Get_AfterUpsert_ReturnsPinsAndVectorsInRequestedOrder()
    {
        var store = await CatalogStoreAsync();

        var got = await store.GetAsync(Acme, ["p007", "p002", "missing", "p040"], Ct);

        Assert.Equal(["p007", "p002", "p040"], got.Select(p => p.Pin.Id));
        var expected = Pin(Acme, 7);
        var first = got[0];
        Assert.Equal(expected.Pin.Title, first.Pin.Title);
        Assert.Equal(expected.Pin.Brand, first.Pin.Brand);
        Assert.Equal(expected.Pin.CategoryPath, first.Pin.CategoryPath);
        Assert.Equal(expected.Pin.Price, first.Pin.Price);
        Assert.Equal(expected.Pin.Attributes, first.Pin.Attributes);
        Assert.Equal(EmbedderVersion, first.EmbedderVersion);
        Assert.Equal(expected.Sparse.Indices, first.Sparse.Indices);
        Assert.Equal(expected.Sparse.Values, first.Sparse.Values);
        Assert.Equal(expected.Dense.Length, first.Dense.Length);
        for (var i = 0; i < expected.Dense.Length; i++)
        {
            Assert.Equal(expected.Dense[i], first.Dense[i], 5);
        }
    }

    [Fact]
    public async Task Upsert_SameBatchRedelivered_IsStaleAndChangesNothing()
    {
        var store = await CatalogStoreAsync();

        var again = await store.UpsertAsync(Catalog(), Ct);

        Assert.Equal(new UpsertResult(0, Catalog().Count), again);
        Assert.Equal(Catalog().Count, (await store.GetStatsAsync(null, Ct)).Count);
    }

    [Fact]
    public async Task Upsert_OlderVersionAfterNewer_NeverWins()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync([Pin(Acme, 1, version: 5, title: "newer title")], Ct);

        var result = await store.UpsertAsync([Pin(Acme, 1, version: 4, title: "older title")], Ct);

        Assert.Equal(new UpsertResult(0, 1), result);
        Assert.Equal("newer title", (await store.GetAsync(Acme, ["p001"], Ct)).Single().Pin.Title);
    }

    [Fact]
    public async Task Upsert_NewerVersion_ReplacesPinAndItsVectors()
    {
        var store = await CatalogStoreAsync();

        var result = await store.UpsertAsync([Pin(Acme, 3, version: 2, title: "turquoise hammock")], Ct);

        Assert.Equal(new UpsertResult(1, 0), result);
        Assert.Equal("turquoise hammock", (await store.GetAsync(Acme, ["p003"], Ct)).Single().Pin.Title);
        var hits = await store.SearchAsync(Query("turquoise hammock", limit: 1), Ct);
        Assert.Equal("p003", hits.Single().Point.Pin.Id);
        Assert.Equal(Catalog().Count, (await store.GetStatsAsync(null, Ct)).Count);
    }

    [Fact]
    public async Task Upsert_SameIdTwiceInOneBatch_CountsAsIfAppliedInOrder()
    {
        var store = await CreateStoreAsync();

        var rising = await store.UpsertAsync([Pin(Acme, 1, 1, "first"), Pin(Acme, 1, 2, "second")], Ct);
        var falling = await store.UpsertAsync([Pin(Acme, 2, 2, "second"), Pin(Acme, 2, 1, "first")], Ct);

        Assert.Equal(new UpsertResult(2, 0), rising);
        Assert.Equal(new UpsertResult(1, 1), falling);
        Assert.Equal(["second", "second"], (await store.GetAsync(Acme, ["p001", "p002"], Ct)).Select(p => p.Pin.Title));
    }

    [Fact]
    public async Task Upsert_OtherEmbedderVersion_IsRefusedWholeWithFailedPrecondition()
    {
        var store = await CatalogStoreAsync();
        var good = Pin(Acme, 100);
        var bad = Embed(Pin(Acme, 101).Pin, "other-model-v2");

        var error = await Assert.ThrowsAsync<ServiceRuleException>(() => store.UpsertAsync([good, bad], Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.Code);
        Assert.Empty(await store.GetAsync(Acme, ["p100", "p101"], Ct));
    }

    [Fact]
    public async Task Upsert_OtherWidth_IsRefusedWithFailedPrecondition()
    {
        var store = await CatalogStoreAsync();
        var narrow = Pin(Acme, 100) with { Dense = new float[Dimensions / 2] };

        var error = await Assert.ThrowsAsync<ServiceRuleException>(() => store.UpsertAsync([narrow], Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public async Task Delete_OlderPin_RemovesItEverywhere()
    {
        var store = await CatalogStoreAsync();

        var deleted = await store.DeleteAsync(Acme, ["p005", "p006", "nope"], 10, Ct);

        Assert.Equal(2, deleted);
        Assert.Empty(await store.GetAsync(Acme, ["p005", "p006"], Ct));
        Assert.Equal(58, (await store.GetStatsAsync(Acme, Ct)).Count);
        var everything = await store.SearchAsync(Query("rug lamp chair desk mouse keyboard", limit: 60), Ct);
        Assert.DoesNotContain(everything, h => h.Point.Pin.Id is "p005" or "p006");
        Assert.Equal(["p005"], (await store.GetAsync(Globex, ["p005"], Ct)).Select(p => p.Pin.Id));
    }

    [Fact]
    public async Task Delete_VersionNotNewerThanPin_KeepsPin()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync([Pin(Acme, 1, version: 7)], Ct);

        var deleted = await store.DeleteAsync(Acme, ["p001"], 7, Ct);

        Assert.Equal(0, deleted);
        Assert.Single(await store.GetAsync(Acme, ["p001"], Ct));
    }

    [Fact]
    public async Task Delete_ThenOlderUpsertStillInFlight_DoesNotResurrect()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync([Pin(Acme, 1, version: 1)], Ct);
        await store.DeleteAsync(Acme, ["p001"], 5, Ct);

        var late = await store.UpsertAsync([Pin(Acme, 1, version: 4)], Ct);
        var equal = await store.UpsertAsync([Pin(Acme, 1, version: 5)], Ct);

        Assert.Equal(new UpsertResult(0, 1), late);
        Assert.Equal(new UpsertResult(0, 1), equal);
        Assert.Empty(await store.GetAsync(Acme, ["p001"], Ct));
        Assert.Empty(await store.SearchAsync(Query(Pin(Acme, 1).Pin.Title), Ct));
    }

    [Fact]
    public async Task Delete_ThenNewerUpsert_BringsPinBack()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync([Pin(Acme, 1, version: 1)], Ct);
        await store.DeleteAsync(Acme, ["p001"], 5, Ct);

        var result = await store.UpsertAsync([Pin(Acme, 1, version: 6)], Ct);

        Assert.Equal(new UpsertResult(1, 0), result);
        Assert.Equal(6, (await store.GetAsync(Acme, ["p001"], Ct)).Single().Pin.Version);
    }

    [Fact]
    public async Task Delete_PinNeverSeen_LeavesTombstoneThatStopsOlderUpsert()
    {
        var store = await CatalogStoreAsync();

        var deleted = await store.DeleteAsync(Acme, ["p500"], 9, Ct);
        var older = await store.UpsertAsync([Pin(Acme, 500, version: 8)], Ct);
        var newer = await store.UpsertAsync([Pin(Acme, 501, version: 8)], Ct);

        Assert.Equal(0, deleted);
        Assert.Equal(new UpsertResult(0, 1), older);
        Assert.Equal(new UpsertResult(1, 0), newer);
    }

    [Fact]
    public async Task Tenants_AreIsolated_InGetSearchRecommendAndStats()
    {
        var store = await CatalogStoreAsync();

        var globexOnly = await store.GetAsync(Globex, ["p030", "p001"], Ct);
        var hits = await store.SearchAsync(Query("wireless mouse", limit: 100, tenant: Globex), Ct);
        var error = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.RecommendAsync(new RecommendQuery(Globex, ["p030"], [], null, 5), Ct));

        Assert.Equal(["p001"], globexOnly.Select(p => p.Pin.Id));
        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Equal(Globex, h.Point.Pin.Tenant));
        Assert.Equal(StatusCode.NotFound, error.Code);
        Assert.Equal(60, (await store.GetStatsAsync(Acme, Ct)).Count);
        Assert.Equal(25, (await store.GetStatsAsync(Globex, Ct)).Count);
        Assert.Equal(0, (await store.GetStatsAsync("initech", Ct)).Count);
    }

    public static TheoryData<string> FilterCases => [.. Filters.Keys];

    /// <summary>Named filters: must, should, must_not, ranges, nested, every field, case and spacing.</summary>
    public static readonly IReadOnlyDictionary<string, VectorFilter> Filters = new Dictionary<string, VectorFilter>
    {
        ["must brand (any case)"] = Must(Keyword("brand", " ZENITH ")),
        ["must brand any of"] = Must(Keyword("brand", "zenith", "Lumen")),
        ["must colour + in stock"] = Must(Keyword("colour", "red", "blue"), Keyword("in_stock", "true")),
        ["out of stock"] = Must(Keyword("in_stock", "FALSE")),
        ["category any level"] = Must(Keyword("category", "office")),
        ["category leaf"] = Must(Keyword("category", "Rugs", "Lamps")),
        ["ids"] = Must(Keyword("id", "p001", "p010", "p020", "p033", "p059")),
        ["price range"] = Must(new RangeCondition("price", null, 20, 120, null)),
        ["price gt lte"] = Must(new RangeCondition("price", 50, null, null, 150)),
        ["price unbounded (has a price)"] = Must(new RangeCondition("price", null, null, null, null)),
        ["should"] = new([], [Keyword("colour", "green"), Keyword("brand", "orbit")], []),
        ["must_not"] = new([], [], [Keyword("category", "home"), Keyword("colour", "black")]),
        ["must + should + must_not"] = new(
            [Keyword("in_stock", "true")],
            [new RangeCondition("price", null, null, 60, null), Keyword("brand", "acme")],
            [Keyword("colour", "white")]),
        ["nested"] = Must(new NestedCondition(new VectorFilter(
            [],
            [Must(Keyword("category", "desks")).Must[0], new NestedCondition(Must(Keyword("colour", "beige"), new RangeCondition("price", 100, null, null, null)))],
            []))),
        ["nothing matches"] = Must(Keyword("brand", "no such brand")),
        ["empty nested"] = Must(new NestedCondition(VectorFilter.Empty)),
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public async Task Search_WithFilter_MatchesOracleInAllThreeModes(string name)
    {
        var store = await CatalogStoreAsync();
        var oracle = CatalogOracle();
        var filter = Filters[name];

        foreach (var text in new[] { "boho wool rug", "wireless ergonomic mouse", "modern lamp" })
        {
            var hybrid = Query(text, filter, limit: 8);
            var dense = Query(text, filter, limit: 8, sparse: false);
            var sparse = Query(text, filter, limit: 8, dense: false);

            Ranking.AssertSame(oracle.Hybrid(hybrid), await store.SearchAsync(hybrid, Ct), $"{name} / hybrid / {text}");
            Ranking.AssertSame(oracle.Dense(dense), await store.SearchAsync(dense, Ct), $"{name} / dense / {text}");
            Ranking.AssertSame(oracle.Sparse(sparse), await store.SearchAsync(sparse, Ct), $"{name} / sparse / {text}");
        }

        var allowed = oracle.Candidates(Acme, filter).Select(p => p.Pin.Id).ToHashSet();
        var wide = await store.SearchAsync(Query("rug lamp chair desk mouse keyboard", filter, limit: 100), Ct);
        Assert.All(wide, h => Assert.Contains(h.Point.Pin.Id, allowed));
    }

    [Fact]
    public async Task Search_Hybrid_IsRrfOfBothBranchesWithBranchScores()
    {
        var store = await CatalogStoreAsync();
        var q = Query("vintage cotton chair", limit: 10);

        var hits = await store.SearchAsync(q, Ct);
        var dense = await store.SearchAsync(q with { Sparse = null, Limit = MinPrefetch }, Ct);
        var sparse = await store.SearchAsync(q with { Dense = null, Limit = MinPrefetch }, Ct);

        var expected = new Dictionary<string, float>();
        for (var rank = 0; rank < dense.Count; rank++)
        {
            expected[dense[rank].Point.Pin.Id] = 1f / (rank + 2);
        }

        for (var rank = 0; rank < sparse.Count; rank++)
        {
            expected[sparse[rank].Point.Pin.Id] = expected.GetValueOrDefault(sparse[rank].Point.Pin.Id) + (1f / (rank + 2));
        }

        var order = expected.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Take(10).ToList();
        Assert.Equal(order.Select(o => o.Key), hits.Select(h => h.Point.Pin.Id));
        Assert.Equal(order.Select(o => o.Value), hits.Select(h => h.Score));
        foreach (var hit in hits)
        {
            var d = dense.FirstOrDefault(x => x.Point.Pin.Id == hit.Point.Pin.Id);
            var s = sparse.FirstOrDefault(x => x.Point.Pin.Id == hit.Point.Pin.Id);
            // Pins only the sparse branch found still get their exact cosine (callers need not fetch vectors for it).
            Assert.Equal(d?.Score ?? System.Numerics.Tensors.TensorPrimitives.Dot(q.Dense!, hit.Point.Dense), hit.DenseScore, 5);
            Assert.Equal(s?.Score ?? 0f, hit.SparseScore, 5);
        }
    }

    [Fact]
    public async Task Search_DenseOnly_ScoresAreCosineAndSparseScoresZero()
    {
        var store = await CatalogStoreAsync();
        var q = Query("compact keyboard", limit: 5, sparse: false);

        var hits = await store.SearchAsync(q, Ct);

        Ranking.AssertSame(CatalogOracle().Dense(q), hits);
        Assert.All(hits, h => Assert.Equal(h.Score, h.DenseScore));
        Assert.All(hits, h => Assert.Equal(0f, h.SparseScore));
    }

    [Fact]
    public async Task Search_SparseOnly_ReturnsOnlyPinsSharingATerm()
    {
        var store = await CatalogStoreAsync();
        var q = Query("lamp", limit: 100, dense: false);

        var hits = await store.SearchAsync(q, Ct);

        Ranking.AssertSame(CatalogOracle().Sparse(q), hits);
        Assert.All(hits, h => Assert.Contains("lamp", h.Point.Pin.Title));
        Assert.All(hits, h => Assert.Equal(0f, h.DenseScore));
    }

    [Fact]
    public async Task Search_EqualScores_AreOrderedByPinId()
    {
        var store = await CreateStoreAsync();
        var twin = Pin(Acme, 1);
        var copies = new[] { "z-twin", "a-twin", "m-twin" }
            .Select(id => twin with { Pin = twin.Pin with { Id = id } })
            .ToArray();
        await store.UpsertAsync(copies, Ct);

        var hybrid = await store.SearchAsync(Query(twin.Pin.Title, limit: 2), Ct);
        var dense = await store.SearchAsync(Query(twin.Pin.Title, limit: 2, sparse: false), Ct);

        Assert.Equal(["a-twin", "m-twin"], hybrid.Select(h => h.Point.Pin.Id));
        Assert.Equal(["a-twin", "m-twin"], dense.Select(h => h.Point.Pin.Id));
    }

    [Fact]
    public async Task Search_QueryFromOtherEmbedder_IsRefusedWithFailedPrecondition()
    {
        var store = await CatalogStoreAsync();

        var version = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.SearchAsync(Query("rug") with { EmbedderVersion = "other-model-v2" }, Ct));
        var width = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.SearchAsync(Query("rug") with { Dense = new float[Dimensions * 2] }, Ct));
        var unknownTenant = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.SearchAsync(Query("rug", tenant: "initech") with { EmbedderVersion = "other-model-v2" }, Ct));

        Assert.Equal(StatusCode.FailedPrecondition, version.Code);
        Assert.Equal(StatusCode.FailedPrecondition, width.Code);
        Assert.Equal(StatusCode.FailedPrecondition, unknownTenant.Code);
    }

    [Fact]
    public async Task Search_EmptyStore_ReturnsNothing()
    {
        var store = await CreateStoreAsync();

        Assert.Empty(await store.SearchAsync(Query("rug"), Ct));
        Assert.Equal(new CollectionStats(0, 0, "", (await store.GetStatsAsync(null, Ct)).Backend), await store.GetStatsAsync(null, Ct));
    }

    [Fact]
    public async Task Recommend_PositiveAndNegative_IsAverageVectorSearchWithoutExamples()
    {
        var store = await CatalogStoreAsync();
        var oracle = CatalogOracle();
        var positiveOnly = new RecommendQuery(Acme, ["p004"], [], null, 6);
        var both = new RecommendQuery(Acme, ["p004", "p013"], ["p020"], null, 6);
        var filtered = both with { Filter = Must(Keyword("in_stock", "true")) };

        Ranking.AssertSame(oracle.Recommend(positiveOnly), await store.RecommendAsync(positiveOnly, Ct), "positive only");
        Ranking.AssertSame(oracle.Recommend(both), await store.RecommendAsync(both, Ct), "positive and negative");
        var hits = await store.RecommendAsync(filtered, Ct);
        Ranking.AssertSame(oracle.Recommend(filtered), hits, "filtered");
        Assert.DoesNotContain(hits, h => h.Point.Pin.Id is "p004" or "p013" or "p020");
        Assert.All(hits, h => Assert.Equal(h.Score, h.DenseScore));
    }

    [Fact]
    public async Task Recommend_UnknownOrDeletedExample_IsNotFound()
    {
        var store = await CatalogStoreAsync();
        await store.DeleteAsync(Acme, ["p009"], 99, Ct);

        var unknown = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.RecommendAsync(new RecommendQuery(Acme, ["p001"], ["p404"], null, 5), Ct));
        var deleted = await Assert.ThrowsAsync<ServiceRuleException>(() =>
            store.RecommendAsync(new RecommendQuery(Acme, ["p009"], [], null, 5), Ct));

        Assert.Equal(StatusCode.NotFound, unknown.Code);
        Assert.Contains("p404", unknown.Message);
        Assert.Equal(StatusCode.NotFound, deleted.Code);
    }

    [Fact]
    public async Task Stats_CountLivePinsWithShapeOfCollection()
    {
        var store = await CatalogStoreAsync();
        await store.DeleteAsync(Globex, ["p000", "p001"], 50, Ct);

        var all = await store.GetStatsAsync(null, Ct);
        var globex = await store.GetStatsAsync(Globex, Ct);

        Assert.Equal(83, all.Count);
        Assert.Equal(23, globex.Count);
        Assert.Equal(Dimensions, all.Dimensions);
        Assert.Equal(EmbedderVersion, all.EmbedderVersion);
    }

    [Fact]
    public async Task Filters_AfterPinsChangeTheirFields_FollowTheNewValues()
    {
        var store = await CatalogStoreAsync();
        var changed = Enumerable.Range(0, 40).Select(i =>
        {
            var p = Pin(Acme, i, version: 2).Pin with
            {
                Brand = "Orbit", Colour = "Teal", CategoryPath = ["Garden", "Hoses", "Home"], InStock = i % 2 == 0, Price = i,
            };
            return Embed(p);
        }).ToList();
        await store.UpsertAsync(changed, Ct);
        await store.DeleteAsync(Acme, ["p000", "p001", "p041"], 9, Ct);
        var live = Catalog()
            .Where(p => !(p.Pin.Tenant == Acme && p.Pin.Id is "p000" or "p001" or "p041"))
            .Select(p => changed.FirstOrDefault(c => p.Pin.Tenant == Acme && c.Pin.Id == p.Pin.Id) ?? p);
        var oracle = new Oracle(live, MinPrefetch);
        var filters = Filters.Values.Append(Must(Keyword("category", "garden"), Keyword("colour", "TEAL"), Keyword("in_stock", "false")));

        foreach (var filter in filters)
        {
            var q = Query("orbit teal hose rug", filter, limit: 15);
            Ranking.AssertSame(oracle.Hybrid(q), await store.SearchAsync(q, Ct), filter.ToString());
        }
    }

    [Fact]
    public async Task Search_AfterDeletesAndUpdates_StillMatchesOracle()
    {
        var store = await CatalogStoreAsync();
        await store.DeleteAsync(Acme, ["p001", "p002", "p003", "p010"], 20, Ct);
        var updated = new[] { Pin(Acme, 11, 3, "boho wool rug deluxe"), Pin(Globex, 4, 3, "boho wool rug classic") };
        await store.UpsertAsync(updated, Ct);
        var live = Catalog()
            .Where(p => !(p.Pin.Tenant == Acme && p.Pin.Id is "p001" or "p002" or "p003" or "p010"))
            .Select(p => updated.FirstOrDefault(u => u.Pin.Tenant == p.Pin.Tenant && u.Pin.Id == p.Pin.Id) ?? p);
        var oracle = new Oracle(live, MinPrefetch);

        var q = Query("boho wool rug", limit: 10);

        Ranking.AssertSame(oracle.Hybrid(q), await store.SearchAsync(q, Ct));
        Ranking.AssertSame(oracle.Sparse(q with { Dense = null }), await store.SearchAsync(q with { Dense = null }, Ct));
    }
}

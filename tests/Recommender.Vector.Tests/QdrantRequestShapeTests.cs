using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Vector.Qdrant.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Qdrant;
using Recommender.Vector.Tests.FakeQdrant;
using static Recommender.Vector.Tests.TestPins;
using QCondition = Recommender.Vector.Qdrant.Grpc.Condition;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;
using NestedCondition = Recommender.Vector.Storage.NestedCondition;
using QQuery = Recommender.Vector.Qdrant.Grpc.Query;

namespace Recommender.Vector.Tests;

/// <summary>
/// What the Qdrant backend puts on the wire, captured by the fake server: the fake implements semantics, so here
/// the requests themselves are checked against what Qdrant's API expects (names, fields, flags, headers).
/// </summary>
public sealed class QdrantRequestShapeTests : IAsyncLifetime
{
    private const string Key = "s3cret";
    private FakeQdrantServer _server = null!;
    private QdrantVectorStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeQdrantServer.StartAsync(new FakeQdrantState { ApiKey = Key }, Ct);
        _store = Open(new QdrantOptions
        {
            Endpoint = _server.Endpoint,
            ApiKey = Key,
            Collection = "shapes",
            ShardNumber = 3,
            ReplicationFactor = 2,
            WriteConsistencyFactor = 2,
            WriteOrdering = QdrantWriteOrdering.Strong,
        });
    }

    public async ValueTask DisposeAsync()
    {
        _store.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task FirstUpsert_CreatesCollectionWithNamedCosineDenseAndIdfSparseAndClusterSettings()
    {
        await _store.UpsertAsync([Pin(Acme, 1)], Ct);

        var create = Assert.Single(_server.State.Requests<CreateCollection>());
        Assert.Equal("shapes", create.CollectionName);
        var dense = Assert.Single(create.VectorsConfig.ParamsMap.Map);
        Assert.Equal(QdrantPayload.DenseVector, dense.Key);
        Assert.Equal((ulong)Dimensions, dense.Value.Size);
        Assert.Equal(Distance.Cosine, dense.Value.Distance);
        var sparse = Assert.Single(create.SparseVectorsConfig.Map);
        Assert.Equal(QdrantPayload.SparseVector, sparse.Key);
        Assert.Equal(Modifier.Idf, sparse.Value.Modifier);
        Assert.Equal(3u, create.ShardNumber);
        Assert.Equal(2u, create.ReplicationFactor);
        Assert.Equal(2u, create.WriteConsistencyFactor);
        Assert.Equal(EmbedderVersion, create.Metadata["embedder_version"].StringValue);
    }

    [Fact]
    public async Task FirstUpsert_IndexesEveryFilteredFieldAndTenantAsTenantIndex()
    {
        await _store.UpsertAsync([Pin(Acme, 1)], Ct);

        var indexes = _server.State.Requests<CreateFieldIndexCollection>().ToDictionary(i => i.FieldName);
        Assert.Equal(
            new Dictionary<string, FieldType>
            {
                ["tenant"] = FieldType.Keyword, ["brand"] = FieldType.Keyword, ["category"] = FieldType.Keyword,
                ["colour"] = FieldType.Keyword, ["in_stock"] = FieldType.Keyword, ["price"] = FieldType.Float,
                ["version"] = FieldType.Integer, ["deleted"] = FieldType.Bool,
            },
            indexes.ToDictionary(i => i.Key, i => i.Value.FieldType));
        Assert.True(indexes["tenant"].FieldIndexParams.KeywordIndexParams.IsTenant);
        Assert.All(indexes.Values.Where(i => i.FieldName != "tenant"), i => Assert.Null(i.FieldIndexParams));
        Assert.All(indexes.Values, i => Assert.True(i.Wait));
    }

    [Fact]
    public async Task Upsert_SendsNamedVectorsPayloadWaitOrderingAndVersionGuard()
    {
        var pin = Pin(Acme, 5);
        await _store.UpsertAsync([pin, Pin(Acme, 6, version: 3)], Ct);

        var upsert = Assert.Single(_server.State.Requests<UpsertPoints>());
        Assert.True(upsert.Wait);
        Assert.Equal(WriteOrderingType.Strong, upsert.Ordering.Type);
        var point = upsert.Points.Single(p => p.Id.Uuid == QdrantPointId.For(Acme, "p005"));
        var vectors = point.Vectors.Vectors_.Vectors;
        Assert.Equal([QdrantPayload.DenseVector, QdrantPayload.SparseVector], vectors.Keys.Order());
        Assert.Equal(pin.Dense, vectors[QdrantPayload.DenseVector].Dense.Data);
        Assert.Equal(pin.Sparse.Indices.Select(i => (uint)i), vectors[QdrantPayload.SparseVector].Sparse.Indices);
        Assert.Equal(pin.Sparse.Values, vectors[QdrantPayload.SparseVector].Sparse.Values);
#pragma warning disable CS0612 // the deprecated encoding must stay unused
        Assert.Empty(vectors[QdrantPayload.DenseVector].Data);
#pragma warning restore CS0612

        var payload = point.Payload;
        Assert.Equal(Acme, payload["tenant"].StringValue);
        Assert.Equal("p005", payload["pin_id"].StringValue);
        Assert.Equal(pin.Pin.Brand.ToLowerInvariant(), payload["brand"].StringValue);
        Assert.Equal(pin.Pin.Colour.ToLowerInvariant(), payload["colour"].StringValue);
        Assert.Equal(pin.Pin.CategoryPath.Select(c => c.ToLowerInvariant()), payload["category"].ListValue.Values.Select(v => v.StringValue));
        Assert.Equal(pin.Pin.InStock ? "true" : "false", payload["in_stock"].StringValue);
        Assert.Equal(pin.Pin.Price!.Value, payload["price"].DoubleValue);
        Assert.Equal(1, payload["version"].IntegerValue);
        Assert.Equal(EmbedderVersion, payload["embedder_version"].StringValue);
        Assert.Contains("\"Title\"", payload["pin"].StringValue);

        // update_filter: replace an existing point only if its stored version is older, per version group.
        Assert.Equal(2, upsert.UpdateFilter.Should.Count);
        var guard = upsert.UpdateFilter.Should.Select(c => c.Filter).Single(f => f.Must[1].Field.Range.Lt == 1);
        Assert.Equal([QdrantPointId.For(Acme, "p005")], guard.Must[0].HasId.HasId.Select(id => id.Uuid));
        Assert.Equal("version", guard.Must[1].Field.Key);
        Assert.False(guard.Must[1].Field.Range.HasGte);
    }

    [Fact]
    public async Task Delete_WritesTombstonesWithoutVectorsGuardedByVersion()
    {
        await _store.UpsertAsync([Pin(Acme, 1)], Ct);

        await _store.DeleteAsync(Acme, ["p001", "p777"], 42, Ct);

        var upsert = _server.State.Requests<UpsertPoints>().Last();
        Assert.Equal(2, upsert.Points.Count);
        Assert.All(upsert.Points, p =>
        {
            Assert.Empty(p.Vectors.Vectors_.Vectors);
            Assert.True(p.Payload["deleted"].BoolValue);
            Assert.Equal(42, p.Payload["version"].IntegerValue);
            Assert.Equal(Acme, p.Payload["tenant"].StringValue);
        });
        var guard = Assert.Single(upsert.UpdateFilter.Should).Filter;
        Assert.Equal(42, guard.Must[1].Field.Range.Lt);
        Assert.Empty(_server.State.Requests<DeletePoints>());
    }

    [Fact]
    public async Task HybridSearch_IsOneBatchWithRrfOverDenseAndSparsePrefetchesAllFiltered()
    {
        await _store.UpsertAsync(Catalog(), Ct);
        var filter = new VectorFilter(
            [Keyword("brand", " Zenith "), new RangeCondition("price", null, 10, 90.5, null)],
            [Keyword("colour", "Red", "blue"), Keyword("id", "p001")],
            [Keyword("in_stock", "false")]);

        await _store.SearchAsync(Query("wool rug", filter, limit: 7), Ct);

        var batch = Assert.Single(_server.State.Requests<QueryBatchPoints>());
        Assert.Equal(3, batch.QueryPoints.Count);
        var fused = batch.QueryPoints[0];
        Assert.Equal(Fusion.Rrf, fused.Query.Fusion);
        Assert.Equal(2, fused.Prefetch.Count);
        var prefetch = 100; // VectorSearchOptions.PrefetchLimit(7) with the default MinPrefetch
        Assert.Equal(QdrantPayload.DenseVector, fused.Prefetch[0].Using);
        Assert.Equal(VectorInput.VariantOneofCase.Dense, fused.Prefetch[0].Query.Nearest.VariantCase);
        Assert.Equal((ulong)prefetch, fused.Prefetch[0].Limit);
        Assert.Equal(QdrantPayload.SparseVector, fused.Prefetch[1].Using);
        Assert.Equal(VectorInput.VariantOneofCase.Sparse, fused.Prefetch[1].Query.Nearest.VariantCase);
        Assert.Equal(SparseQuery("wool rug").Indices.Select(i => (uint)i), fused.Prefetch[1].Query.Nearest.Sparse.Indices);
        Assert.Equal((ulong)prefetch, fused.Prefetch[1].Limit);
        Assert.Equal((ulong)(2 * prefetch), fused.Limit);
        Assert.Equal([QdrantPayload.DenseVector, QdrantPayload.SparseVector], batch.QueryPoints.Skip(1).Select(q => q.Using));

        foreach (var f in new[] { fused.Filter, fused.Prefetch[0].Filter, fused.Prefetch[1].Filter, batch.QueryPoints[1].Filter, batch.QueryPoints[2].Filter })
        {
            AssertScoped(f, Acme, user =>
            {
                Assert.Equal("brand", user.Must[0].Field.Key);
                Assert.Equal("zenith", user.Must[0].Field.Match.Keyword);
                Assert.Equal("price", user.Must[1].Field.Key);
                Assert.Equal(10, user.Must[1].Field.Range.Gte);
                Assert.Equal(90.5, user.Must[1].Field.Range.Lt);
                Assert.False(user.Must[1].Field.Range.HasGt || user.Must[1].Field.Range.HasLte);
                Assert.Equal(["red", "blue"], user.Should[0].Field.Match.Keywords.Strings);
                Assert.Equal([QdrantPointId.For(Acme, "p001")], user.Should[1].HasId.HasId.Select(id => id.Uuid));
                Assert.Equal("in_stock", user.MustNot[0].Field.Key);
                Assert.Equal("false", user.MustNot[0].Field.Match.Keyword);
            });
        }

        Assert.All(_server.State.Calls, c => Assert.Contains(("api-key", Key), c.Headers));
    }

    [Fact]
    public async Task Recommend_IsQueryRecommendByPointIdsOnDenseVector()
    {
        await _store.UpsertAsync(Catalog(), Ct);

        await _store.RecommendAsync(new RecommendQuery(Acme, ["p002", "p003"], ["p004"], Must(new NestedCondition(Must(Keyword("category", "Rugs")))), 5), Ct);

        var query = _server.State.Requests<QueryPoints>().Single(q => q.Query?.VariantCase == QQuery.VariantOneofCase.Recommend);
        Assert.Equal(QdrantPayload.DenseVector, query.Using);
        Assert.Equal(RecommendStrategy.AverageVector, query.Query.Recommend.Strategy);
        Assert.Equal([QdrantPointId.For(Acme, "p002"), QdrantPointId.For(Acme, "p003")], query.Query.Recommend.Positive.Select(v => v.Id.Uuid));
        Assert.Equal([QdrantPointId.For(Acme, "p004")], query.Query.Recommend.Negative.Select(v => v.Id.Uuid));
        AssertScoped(query.Filter, Acme, user =>
        {
            var nested = Assert.Single(user.Must).Filter;
            Assert.Equal("category", nested.Must[0].Field.Key);
            Assert.Equal("rugs", nested.Must[0].Field.Match.Keyword);
        });
    }

    [Fact]
    public async Task Stats_CountsLivePointsOfTenantExactly()
    {
        await _store.UpsertAsync(Catalog(), Ct);

        await _store.GetStatsAsync(Globex, Ct);

        var count = Assert.Single(_server.State.Requests<CountPoints>());
        Assert.True(count.Exact);
        Assert.Equal(Globex, count.Filter.Must[0].Field.Match.Keyword);
        Assert.True(count.Filter.MustNot[0].Field.Match.Boolean);
    }

    [Fact]
    public async Task ExistingCollection_ShapeIsReadFromItsMetadataByANewClient()
    {
        await _store.UpsertAsync([Pin(Acme, 1)], Ct);
        using var other = Open(new QdrantOptions { Endpoint = _server.Endpoint, ApiKey = Key, Collection = "shapes" });

        var stats = await other.GetStatsAsync(null, Ct);

        Assert.Equal((Dimensions, EmbedderVersion), (stats.Dimensions, stats.EmbedderVersion));
        Assert.Single(_server.State.Requests<CreateCollection>());
        var error = await Assert.ThrowsAsync<Recommender.ServiceDefaults.Grpc.ServiceRuleException>(() =>
            other.SearchAsync(Query("rug") with { EmbedderVersion = "v-next" }, Ct));
        Assert.Equal(StatusCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public async Task WrongApiKey_IsRefusedByTheServer()
    {
        using var intruder = Open(new QdrantOptions { Endpoint = _server.Endpoint, ApiKey = "wrong", Collection = "shapes" });

        var error = await Assert.ThrowsAsync<RpcException>(() => intruder.GetStatsAsync(null, Ct));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    /// <summary>must: [tenant == t, (user filter)], must_not: [deleted == true].</summary>
    private static void AssertScoped(QFilter filter, string tenant, Action<QFilter> user)
    {
        Assert.Equal("tenant", filter.Must[0].Field.Key);
        Assert.Equal(tenant, filter.Must[0].Field.Match.Keyword);
        Assert.Equal(2, filter.Must.Count);
        Assert.Equal(QCondition.ConditionOneOfOneofCase.Filter, filter.Must[1].ConditionOneOfCase);
        user(filter.Must[1].Filter);
        var tombstones = Assert.Single(filter.MustNot);
        Assert.Equal("deleted", tombstones.Field.Key);
        Assert.True(tombstones.Field.Match.Boolean);
        Assert.Empty(filter.Should);
    }

    private static QdrantVectorStore Open(QdrantOptions options) =>
        new(Options.Create(options), Options.Create(new VectorSearchOptions()), NullLogger<QdrantVectorStore>.Instance);
}

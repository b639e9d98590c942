using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;
using Recommender.Vector.Storage.Qdrant;
using Recommender.Vector.Tests.FakeQdrant;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>
/// Both backends hold the same pins (after the same upserts, updates and deletes) and must give the same ids in
/// the same order, with the same scores, for every query of the suite: hybrid, dense-only, sparse-only and
/// recommendations, with and without filters.
/// </summary>
public sealed class CrossBackendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> TieOrders => [false, true];

    /// <param name="qdrantTiesAscending">false: Qdrant's order of equal scores differs from ours (the client must
    /// fuse from canonical branches); true: it happens to agree (the client uses Qdrant's own fusion).</param>
    [Theory]
    [MemberData(nameof(TieOrders))]
    public async Task EverySuiteQuery_SameIdsOrderAndScoresOnBothBackends(bool qdrantTiesAscending)
    {
        await using var server = await FakeQdrantServer.StartAsync(new FakeQdrantState { TiesAscending = qdrantTiesAscending }, Ct);
        var search = new VectorSearchOptions { MinPrefetch = 15 };
        using var embedded = EmbeddedStores.Open("", search);
        using var qdrant = QdrantStores.Open(server.Endpoint, null, "cross", search);
        foreach (IVectorStore store in new IVectorStore[] { embedded, qdrant })
        {
            await store.UpsertAsync(Catalog(), Ct);
            await store.UpsertAsync([Pin(Acme, 8, 2, "boho wool rug red"), Pin(Acme, 9, 1, "stale title")], Ct);
            await store.DeleteAsync(Acme, ["p010", "p011"], 5, Ct);
            await store.DeleteAsync(Globex, ["p003"], 5, Ct);
        }

        var compared = 0;
        foreach (var text in new[] { "boho wool rug", "wireless ergonomic mouse", "modern lamp", "vintage chair", "desk", "red" })
        {
            foreach (var filter in VectorStoreBehaviour.Filters.Values.Append(null))
            {
                foreach (var (dense, sparse) in new[] { (true, true), (true, false), (false, true) })
                {
                    foreach (var tenant in new[] { Acme, Globex })
                    {
                        var q = Query(text, filter, limit: 10, tenant: tenant, dense: dense, sparse: sparse);
                        var expected = await embedded.SearchAsync(q, Ct);
                        var actual = await qdrant.SearchAsync(q, Ct);
                        Ranking.AssertSame(expected.Select(h => (h.Point.Pin.Id, h.Score)).ToList(), actual, $"{text} / {filter} / {dense},{sparse} / {tenant}");
                        Assert.Equal(expected.Select(h => h.DenseScore), actual.Select(h => h.DenseScore), new ScoreComparer());
                        Assert.Equal(expected.Select(h => h.SparseScore), actual.Select(h => h.SparseScore), new ScoreComparer());
                        compared += expected.Count;
                    }
                }
            }
        }

        foreach (var (positive, negative) in new[] { (new[] { "p004" }, Array.Empty<string>()), (["p004", "p013"], ["p020"]), (["p030"], ["p031", "p032"]) })
        {
            foreach (var filter in VectorStoreBehaviour.Filters.Values.Take(6).Append(null))
            {
                var q = new RecommendQuery(Acme, positive, negative, filter, 8);
                var expected = await embedded.RecommendAsync(q, Ct);
                Ranking.AssertSame(expected.Select(h => (h.Point.Pin.Id, h.Score)).ToList(), await qdrant.RecommendAsync(q, Ct), $"recommend {string.Join(",", positive)} / {filter}");
                compared += expected.Count;
            }
        }

        Assert.True(compared > 2_000, $"only {compared} hits compared");
        Assert.True(qdrantTiesAscending ? qdrant.ServerFusions > 0 : qdrant.ClientFusions > 0);
        Assert.Equal(await embedded.GetStatsAsync(Acme, Ct) with { Backend = "" }, await qdrant.GetStatsAsync(Acme, Ct) with { Backend = "" });
    }

    private sealed class ScoreComparer : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= Ranking.Tolerance;

        public int GetHashCode(float obj) => 0;
    }
}

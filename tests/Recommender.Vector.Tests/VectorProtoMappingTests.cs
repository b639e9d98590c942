using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>A search's hits as the wire response: in order, each mapped as on its own, with the stored versions' own
/// messages or without (the mapping prefetches hits ahead; no count around its distances may lose or reorder one).</summary>
public sealed class VectorProtoMappingTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(8, false)]
    [InlineData(9, true)]
    [InlineData(17, false)]
    [InlineData(60, true)]
    public void ToResponse_AnyHitCount_EveryHitInOrderAsMappedAlone(int count, bool withVectors)
    {
        var points = Catalog().Take(count).ToList();
        var shared = points.Select(p => p with { Shared = new SharedPin(p.Pin) }).ToList();
        foreach (var source in new[] { points, shared })
        {
            var hits = source.Select((p, i) => new SearchHit(p, 1f / (i + 1), 0.5f - (i * 0.01f), i % 3)).ToList();
            var response = hits.ToResponse(withVectors);

            Assert.Equal(hits.Select(h => h.ToProto(withVectors)), response.Results);
            Assert.Equal(hits.Select(h => h.Point.Shared), response.Results.Select(r => r.StoredPin));
            Assert.Equal(hits.Select(h => h.Point.Pin.Id), response.Results.Select(r => r.Pin.Id));
            Assert.All(response.Results, r => Assert.Equal(withVectors ? Dimensions : 0, r.Dense.Count));
        }
    }
}

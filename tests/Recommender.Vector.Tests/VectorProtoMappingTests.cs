using Recommender.Contracts.Vector.V1;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>A search's hits as the wire response: in order, each mapped as on its own, with the stored pins'
/// cached messages or without (the mapping prefetches hits ahead; no count around its distances may lose or
/// reorder one).</summary>
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
        var hits = Catalog().Take(count).Select((p, i) => new SearchHit(p, 1f / (i + 1), 0.5f - (i * 0.01f), i % 3)).ToList();
        foreach (var cache in new[] { null, new PinProtoCache() })
        {
            var response = hits.ToResponse(withVectors, cache);

            Assert.Equal(hits.Select(h => h.ToProto(withVectors, cache)), response.Results);
            Assert.Equal(hits.Select(h => h.Point.Pin.Id), response.Results.Select(r => r.Pin.Id));
            Assert.All(response.Results, r => Assert.Equal(withVectors ? Dimensions : 0, r.Dense.Count));
        }
    }
}

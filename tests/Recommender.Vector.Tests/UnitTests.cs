using System.Text;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Qdrant;

namespace Recommender.Vector.Tests;

public sealed class ReciprocalRankFusionTests
{
    /// <summary>The example from Qdrant's own RRF unit test (lib/segment/src/common/reciprocal_rank_fusion.rs):
    /// 1 / (0-based position + k) with k = 2.</summary>
    [Fact]
    public void Fuse_QdrantsReferenceExample_GivesQdrantsScores()
    {
        IReadOnlyList<string>[] lists = [["2", "1"], ["1", "2", "3"], ["5", "3", "1"]];

        var fused = ReciprocalRankFusion.Fuse(lists, id => id, 10);

        Assert.Equal(["1", "2", "3", "5"], fused.Select(f => f.Item));
        Assert.Equal([1.0833334f, 0.8333334f, 0.5833334f, 0.5f], fused.Select(f => f.Score));
    }

    [Fact]
    public void Fuse_EqualScores_OrderedByIdOrdinal()
    {
        IReadOnlyList<string>[] lists = [["b", "a"], ["a", "b"], ["Z"]];

        var fused = ReciprocalRankFusion.Fuse(lists, id => id, 10);

        Assert.Equal(["a", "b", "Z"], fused.Select(f => f.Item));
        Assert.Equal(fused[0].Score, fused[1].Score);
    }
}

public sealed class QdrantPointIdTests
{
    [Fact]
    public void NameBased_Rfc4122Example_MatchesPythonUuid5()
    {
        // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") in Python's standard library.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), QdrantPointId.NameBased(dns, Encoding.UTF8.GetBytes("python.org")));
    }

    [Fact]
    public void For_IsDeterministicAndSeparatesTenants()
    {
        Assert.Equal(QdrantPointId.For("acme", "p1"), QdrantPointId.For("acme", "p1"));
        Assert.NotEqual(QdrantPointId.For("acme", "p1"), QdrantPointId.For("globex", "p1"));
        Assert.NotEqual(QdrantPointId.For("ab", "c"), QdrantPointId.For("a", "bc"));
        Assert.Equal('5', QdrantPointId.For("acme", "p1")[14]);
    }
}

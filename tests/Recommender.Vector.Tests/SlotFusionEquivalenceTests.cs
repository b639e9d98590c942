using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>
/// <see cref="SlotFusion"/> against <see cref="ReferenceFusion"/> (the fusion it replaced): randomized dense and sparse
/// branch results over one segment (disjoint, overlapping, the same pins in another order, one branch empty), so equal
/// fused scores are common (rank r of one branch ties rank r of the other; (r, s) ties (s, r)), limits 1..300, segments
/// whose ids are unranked (small), all ranked, or partly ranked (churn after the ranks were built: new ids, reused
/// slots). Hits, all three scores bit for bit, and order must be identical.
/// </summary>
public sealed class SlotFusionEquivalenceTests
{
    private static readonly float[] BranchScores = [0.9f, 0.5f, 0.5f, 0.25f, -0.1f, 0.333f, 1.2f];

    [Theory]
    [InlineData(1, 120, false, false)]
    [InlineData(2, 1_500, true, false)]
    [InlineData(3, 1_500, true, true)]
    [InlineData(4, 4_000, true, true)]
    [InlineData(5, 700, false, true)]
    public void Fuse_RandomBranches_EqualsReference(int seed, int pins, bool rankIds, bool churn)
    {
        var random = new Random(seed);
        var segment = BuildSegment(random, pins, rankIds, churn);
        var live = segment.Entries.ToArray();
        var compared = 0;
        var ties = 0;
        for (var round = 0; round < 300; round++)
        {
            var (dense, sparse) = Branches(random, live, round);
            var limit = round % 7 == 0 ? 300 : 1 + random.Next(round % 2 == 0 ? 300 : 40);
            var query = Vector(random);
            var withVectors = round % 11 == 0;

            var expected = ReferenceFusion.Fuse(segment, dense, sparse, query, limit, withVectors);
            var actual = SlotFusion.Fuse(segment, dense, sparse, query, limit, withVectors);

            Assert.Equal(Describe(expected), Describe(actual));
            if (!withVectors)
            {
                Assert.All(expected.Zip(actual), pair => Assert.Same(pair.First.Point, pair.Second.Point));
            }

            compared += expected.Count;
            ties += expected.Zip(expected.Skip(1)).Count(pair => pair.First.Score == pair.Second.Score);
        }

        // Real work with many equal fused scores, or the comparison proves little.
        Assert.True(compared > 10_000, $"only {compared} hits compared");
        Assert.True(ties > compared / 20, $"only {ties} ties among {compared} hits");
        if (rankIds)
        {
            Assert.Contains(segment.IdRankSnapshot, rank => rank != 0);
        }
    }

    [Fact]
    public void Fuse_ThroughTheStore_EqualsReferenceOverSearchedBranches()
    {
        // The branches as the store computes them (dense scan + postings walk), then both fusions.
        var random = new Random(9);
        var segment = BuildSegment(random, 2_000, rankIds: true, churn: true);
        for (var round = 0; round < 50; round++)
        {
            var query = Vector(random);
            var sparseQuery = new SparseVector([random.Next(20), 20 + random.Next(20)], [1f, 0.5f]);
            var limit = 1 + random.Next(250);
            var dense = segment.DenseTop(query, null, Math.Max(limit, 100));
            var sparse = segment.SparseTop(sparseQuery, null, Math.Max(limit, 100));

            Assert.Equal(
                Describe(ReferenceFusion.Fuse(segment, dense, sparse, query, limit, false)),
                Describe(SlotFusion.Fuse(segment, dense, sparse, query, limit, false)));
        }
    }

    private static Segment BuildSegment(Random random, int pins, bool rankIds, bool churn)
    {
        var segment = new Segment(8, new KeywordTable(), new TermStats(), new EmbeddedStoreOptions());
        for (var i = 0; i < pins; i++)
        {
            // Random ids: slot order is not id order.
            segment.Upsert(Point(random, $"p{random.Next(1_000_000):D6}-{i}", 1));
        }

        if (rankIds)
        {
            // A search ranks the ids once more than max(256, an eighth) of the pins are unranked.
            segment.SparseTop(new SparseVector([0], [1f]), null, 1);
        }

        if (churn)
        {
            var ids = segment.Entries.Select(e => e.Point.Pin.Id).ToList();
            for (var i = 0; i < pins / 10; i++)
            {
                segment.Delete(ids[random.Next(ids.Count)], 5);
                segment.Upsert(Point(random, $"q{random.Next(1_000_000):D6}-{i}", 1));
                segment.Upsert(Point(random, ids[random.Next(ids.Count)], 9));
            }
        }

        return segment;
    }

    private static StoredPoint Point(Random random, string id, long version) =>
        new(new PinData { Id = id, Tenant = "a", Title = "t", Version = version }, Vector(random),
            new SparseVector([random.Next(20), 20 + random.Next(20)], [1f, 0.5f]), "v");

    private static float[] Vector(Random random)
    {
        var v = new float[8];
        for (var d = 0; d < v.Length; d++)
        {
            v[d] = (float)(random.NextDouble() - 0.5);
        }

        return v;
    }

    private static (List<(Segment.Entry, float)> Dense, List<(Segment.Entry, float)> Sparse) Branches(
        Random random, Segment.Entry[] live, int round)
    {
        List<(Segment.Entry, float)> Pick(IEnumerable<Segment.Entry> entries) =>
            entries.Select(e => (e, BranchScores[random.Next(BranchScores.Length)])).ToList();

        var shuffled = live.OrderBy(_ => random.Next()).ToArray();
        var denseCount = Math.Min(shuffled.Length, random.Next(4) == 0 ? random.Next(10) : random.Next(301));
        var sparseCount = Math.Min(shuffled.Length, random.Next(4) == 0 ? random.Next(10) : random.Next(301));
        var dense = shuffled.Take(denseCount);
        return (round % 5) switch
        {
            // Disjoint.
            0 => (Pick(dense), Pick(shuffled.Skip(denseCount).Take(sparseCount))),

            // The same pins, reversed: (r, s) and (s, r) tie all along.
            1 => (Pick(dense), Pick(dense.Reverse())),

            // One branch found nothing (a filter, no shared term).
            2 => round % 10 == 2 ? (Pick([]), Pick(dense)) : (Pick(dense), Pick([])),

            // Overlapping, in random order.
            _ => (Pick(dense), Pick(shuffled.Skip(denseCount / 2).Take(sparseCount).OrderBy(_ => random.Next()))),
        };
    }

    private static List<string> Describe(List<SearchHit> hits) =>
        hits.Select(h => $"{h.Point.Pin.Id}:{h.Point.Pin.Version}:{BitConverter.SingleToInt32Bits(h.Score):X8}:" +
            $"{BitConverter.SingleToInt32Bits(h.DenseScore):X8}:{BitConverter.SingleToInt32Bits(h.SparseScore):X8}:" +
            $"{string.Join(',', h.Point.Dense.Select(BitConverter.SingleToInt32Bits))}").ToList();
}

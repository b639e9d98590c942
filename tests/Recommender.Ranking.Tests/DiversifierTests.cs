using System.Numerics.Tensors;
using Recommender.Contracts;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>The pruned MMR picks exactly what the textbook (exhaustive) MMR picks.</summary>
public sealed class DiversifierTests
{
    [Theory]
    [InlineData(0.8, 40, 1)]
    [InlineData(0.5, 40, 2)]
    [InlineData(0.9, 200, 3)]
    [InlineData(0.3, 20, 4)]
    public void Mmr_Pruned_SameOrderAsExhaustive(double lambda, int depth, int seed)
    {
        var random = new Random(seed);
        // Clusters of near-duplicates, like product variants: similarities near 1 inside a cluster.
        var centres = Enumerable.Range(0, 12).Select(_ => Unit(Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())).ToList();
        var candidates = Enumerable.Range(0, 200).Select(i =>
        {
            var centre = centres[random.Next(centres.Count)];
            var v = Unit(centre.Select(x => x + (((float)random.NextDouble() - 0.5f) * 0.3f)).ToArray());
            return new Candidate(new PinData { Id = $"p{i}", Tenant = "t", Title = "x" }, 0, 0, 0) { Vector = v, Score = Math.Pow(random.NextDouble(), 3) };
        }).OrderByDescending(c => c.Score).ToList();
        for (var i = 0; i < candidates.Count; i++)
        {
            candidates[i].ModelRank = i;
        }

        var expected = Exhaustive(candidates, lambda, depth);
        var actual = candidates.ToList();
        Diversifier.Mmr(actual, 0, actual.Count, lambda, depth);

        Assert.Equal(expected.Select(c => c.Pin.Id), actual.Select(c => c.Pin.Id));
        Assert.NotEqual(candidates.Select(c => c.Pin.Id), actual.Select(c => c.Pin.Id)); // MMR did re-order
    }

    /// <summary>Textbook MMR over a list in score order: every remaining candidate scored against every pick (with the
    /// similarity MMR uses, <see cref="Candidate.Similarity"/>).</summary>
    internal static List<Candidate> Exhaustive(List<Candidate> sorted, double lambda, int depth)
    {
        var min = sorted.Min(c => c.Score);
        var range = sorted.Max(c => c.Score) - min;
        var remaining = sorted.ToList();
        var picked = new List<Candidate>();
        while (picked.Count < depth && remaining.Count > 0)
        {
            var best = remaining.MaxBy(c => (lambda * (c.Score - min) / range)
                - ((1 - lambda) * picked.Select(p => Math.Max(0, p.Similarity!.Similarity(c.Similarity!))).DefaultIfEmpty(0).Max()))!;
            picked.Add(best);
            remaining.Remove(best);
        }

        return picked.Concat(remaining).ToList();
    }

    private static float[] Unit(float[] v)
    {
        var norm = TensorPrimitives.Norm(v);
        return v.Select(x => x / norm).ToArray();
    }
}

using System.Numerics.Tensors;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Benchmarks;

/// <summary>The MMR before lazy similarity updates (commit 85b9539), kept to time the two in one process.</summary>
internal static class PreviousMmr
{
    public static void Mmr(List<Candidate> list, int start, int end, double lambda, int depth)
    {
        var n = end - start;
        var segment = list.GetRange(start, n);
        var min = segment[n - 1].Score;
        var max = segment[0].Score;
        foreach (var c in segment)
        {
            min = Math.Min(min, c.Score);
            max = Math.Max(max, c.Score);
        }

        var range = max > min ? max - min : 1;
        var relevance = new double[n];
        for (var i = 0; i < n; i++)
        {
            relevance[i] = (segment[i].Score - min) / range;
        }

        var reach = lambda > 0 ? (1 - lambda) / lambda : double.MaxValue;
        var maxSim = new double[n];
        var taken = new bool[n];
        var picks = Math.Min(depth, n);
        var next = 0; // first untaken index: the best remaining relevance (the segment is in score order)
        var current = 0; // maxSim[i] is up to date for every i < current
        for (var pos = 0; pos < picks; pos++)
        {
            var floor = relevance[next] - reach;
            while (current < n && relevance[current] >= floor)
            {
                // A candidate entering reach: its similarity to every pick so far.
                if (!taken[current] && segment[current].Vector is { } w)
                {
                    for (var p = 0; p < pos; p++)
                    {
                        if (list[start + p].Vector is { } picked && picked.Length == w.Length)
                        {
                            maxSim[current] = Math.Max(maxSim[current], TensorPrimitives.Dot(picked, w));
                        }
                    }
                }

                current++;
            }

            var best = -1;
            var bestValue = double.MinValue;
            for (var i = next; i < n && relevance[i] >= floor; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                var value = (lambda * relevance[i]) - ((1 - lambda) * maxSim[i]);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }

            taken[best] = true;
            var chosen = segment[best];
            list[start + pos] = chosen;
            while (next < n && taken[next])
            {
                next++;
            }

            if (next >= n || chosen.Vector is not { } v)
            {
                continue;
            }

            // Only candidates within reach need their similarity to the new pick; the others get it on entering.
            for (var i = next; i < current; i++)
            {
                if (!taken[i] && segment[i].Vector is { } w && w.Length == v.Length)
                {
                    maxSim[i] = Math.Max(maxSim[i], TensorPrimitives.Dot(v, w));
                }
            }
        }

        var rest = picks;
        for (var i = 0; i < n; i++)
        {
            if (!taken[i])
            {
                list[start + rest++] = segment[i];
            }
        }
    }
}

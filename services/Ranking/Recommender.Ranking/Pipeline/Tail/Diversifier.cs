namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>Re-orders a ranked segment for variety: a per-brand cap per window of positions, or MMR over the dense
/// vectors. Both are greedy and keep the model's order wherever variety does not ask otherwise.</summary>
public static class Diversifier
{
    /// <summary>Re-orders <paramref name="list"/>[start, end) in place. <paramref name="exemptBrands"/> (the brands the
    /// query names) are never capped.</summary>
    public static void Apply(DiversityOptions options, List<Candidate> list, int start, int end, IReadOnlyCollection<string> exemptBrands)
    {
        if (end - start < 2)
        {
            return;
        }

        switch (options.Mode)
        {
            case DiversityMode.BrandCap:
                BrandCap(list, start, end, options.MaxPerBrand, options.Window, exemptBrands);
                break;
            case DiversityMode.Mmr:
                Mmr(list, start, end, options.Lambda, options.MmrDepth);
                break;
        }
    }

    /// <summary>Each position takes the best remaining candidate whose brand has fewer than <paramref name="cap"/> pins
    /// in the current window; when every remaining candidate is capped, the best remaining one. Brands are numbered
    /// once, so a check is an array lookup.</summary>
    public static void BrandCap(List<Candidate> list, int start, int end, int cap, int window, IReadOnlyCollection<string> exemptBrands)
    {
        var n = end - start;
        var remaining = list.GetRange(start, n);
        var brandIds = new Dictionary<string, int>(n, StringComparer.OrdinalIgnoreCase);
        var brandOf = new int[n];
        for (var i = 0; i < n; i++)
        {
            var brand = remaining[i].Pin.Brand;
            if (brand.Length == 0 || Contains(exemptBrands, brand))
            {
                brandOf[i] = -1; // never capped
                continue;
            }

            if (!brandIds.TryGetValue(brand, out var id))
            {
                brandIds[brand] = id = brandIds.Count;
            }

            brandOf[i] = id;
        }

        var inWindow = new int[brandIds.Count];
        var taken = new bool[n];
        var next = 0; // first index not yet taken
        var allCapped = false;
        for (var pos = 0; pos < n; pos++)
        {
            if (pos % window == 0)
            {
                Array.Clear(inWindow);
                allCapped = false;
            }

            var pick = -1;
            if (!allCapped)
            {
                for (var i = next; i < n; i++)
                {
                    if (!taken[i] && (brandOf[i] < 0 || inWindow[brandOf[i]] < cap))
                    {
                        pick = i;
                        break;
                    }
                }
            }

            if (pick < 0)
            {
                // Counts only grow within a window: nothing becomes eligible again before the next one.
                allCapped = true;
                pick = next;
            }

            taken[pick] = true;
            if (brandOf[pick] >= 0)
            {
                inWindow[brandOf[pick]]++;
            }

            list[start + pos] = remaining[pick];
            while (next < n && taken[next])
            {
                next++;
            }
        }

        MarkDemoted(list, start, end);
    }

    /// <summary>Maximal marginal relevance for the first <paramref name="depth"/> positions: each pick maximises
    /// lambda * relevance - (1 - lambda) * (highest cosine, floored at 0, to an already picked pin; from the int8 copies,
    /// <see cref="Candidate.Similarity"/>), relevance being the score
    /// scaled to [0, 1] within the segment. Two exact shortcuts save most dot products: the segment is in score order,
    /// so a candidate whose relevance is more than (1 - lambda) / lambda below the best remaining one can never win a
    /// pick (cosines are at most 1), and once lambda * relevance is no better than the best value found, neither can
    /// any later candidate; and similarities are brought up to date lazily — a candidate's value with the picks it
    /// has been compared with so far bounds its true value from above (its highest cosine can only grow), so it is
    /// compared with the newer picks only when that bound could still beat the best value found, and only until it
    /// no longer does.</summary>
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
        var maxSim = new double[n]; // highest similarity to picks [0, compared[i])
        var compared = new int[n];
        var taken = new bool[n];
        var picks = Math.Min(depth, n);
        var next = 0; // first untaken index: the best remaining relevance (the segment is in score order)
        for (var pos = 0; pos < picks; pos++)
        {
            var floor = relevance[next] - reach;
            var best = -1;
            var bestValue = double.MinValue;
            for (var i = next; i < n && relevance[i] >= floor; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                if (best >= 0 && lambda * relevance[i] <= bestValue)
                {
                    break; // no similarity is below 0: this and every later (less relevant) candidate lose
                }

                var value = (lambda * relevance[i]) - ((1 - lambda) * maxSim[i]);
                if (best >= 0 && value <= bestValue)
                {
                    continue; // an upper bound already; ties go to the earlier candidate
                }

                if (compared[i] < pos)
                {
                    var upTo = pos;
                    if (segment[i].Similarity is { } w)
                    {
                        for (var p = compared[i]; p < pos; p++)
                        {
                            if (list[start + p].Similarity is { } picked)
                            {
                                maxSim[i] = Math.Max(maxSim[i], picked.Similarity(w));
                                if (best >= 0 && (lambda * relevance[i]) - ((1 - lambda) * maxSim[i]) <= bestValue)
                                {
                                    upTo = p + 1; // cannot win this pick; the later picks are compared when it might
                                    break;
                                }
                            }
                        }
                    }

                    compared[i] = upTo;
                    value = (lambda * relevance[i]) - ((1 - lambda) * maxSim[i]);
                }

                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }

            taken[best] = true;
            list[start + pos] = segment[best];
            while (next < n && taken[next])
            {
                next++;
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

        MarkDemoted(list, start, end);
    }

    /// <summary>Candidates placed lower than the model's order say so in their explanation.</summary>
    private static void MarkDemoted(List<Candidate> list, int start, int end)
    {
        for (var pos = start; pos < end; pos++)
        {
            if (list[pos].ModelRank < pos)
            {
                list[pos].Effects |= TailEffects.Diversified;
            }
        }
    }

    private static bool Contains(IReadOnlyCollection<string> brands, string brand)
    {
        foreach (var b in brands)
        {
            if (string.Equals(b, brand, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

using Recommender.Ranking.Model;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// A LightGBM-shaped ensemble (200 trees of 31 leaves over the 31 features, weight 1, numbered as the exporter
/// numbers them: internal nodes in creation order, children pointing forward) grown on real feature rows, so a
/// benchmark measures the cost of a trained ranker without the competition data a real one is trained on. Each split
/// takes a leaf (small leaves more often, so most rows stop at shallow leaves as with leaf-wise growth), a random
/// feature and a skewed cut among the leaf's rows' values. On the benchmark's rows it averages 2.9 splits per tree
/// per candidate (the Home Depot model: 3.8) but costs more per split: its random cuts make branches less
/// predictable, so it is a pessimistic stand-in for a trained model.
/// </summary>
public static class SyntheticEnsemble
{
    public static TreeEnsembleData Grow(IReadOnlyList<double[]> rows, int trees = 200, int leaves = 31, int seed = 42)
    {
        var random = new Random(seed);
        var featureCount = rows[0].Length;
        var list = new List<TreeData>(trees);
        for (var t = 0; t < trees; t++)
        {
            list.Add(GrowTree(rows, featureCount, leaves, random));
        }

        return new TreeEnsembleData(0, list);
    }

    /// <summary>Splits a row passes on its way to a leaf, averaged over trees and rows.</summary>
    public static double MeanPathLength(TreeEnsembleData ensemble, IReadOnlyList<double[]> rows)
    {
        long splits = 0;
        foreach (var tree in ensemble.Trees)
        {
            foreach (var row in rows)
            {
                for (var node = tree.Feature.Length == 0 ? -1 : 0; node >= 0; splits++)
                {
                    node = (float)row[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
                }
            }
        }

        return splits / (double)Math.Max(1, ensemble.Trees.Count * rows.Count);
    }

    private static TreeData GrowTree(IReadOnlyList<double[]> rows, int featureCount, int maxLeaves, Random random)
    {
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var leafRows = new List<List<int>> { Enumerable.Range(0, rows.Count).ToList() };
        var leafParent = new List<(int Node, bool IsLeft)> { (-1, false) };
        var attempts = 0;
        while (leafRows.Count < maxLeaves && attempts++ < 10_000)
        {
            var leaf = PickLeaf(leafRows, random);
            var members = leafRows[leaf];
            var f = random.Next(featureCount);
            var values = members.Select(r => (float)rows[r][f]).Order().ToArray();

            // Skewed cuts, as a boosted tree's splits are on data it was not trained on: most rows take one side.
            var q = random.NextDouble() < 0.5 ? random.NextDouble() * 0.25 : 1 - (random.NextDouble() * 0.25);
            var cut = values[(int)(q * (values.Length - 1))];
            var goLeft = members.Where(r => (float)rows[r][f] <= cut).ToList();
            var goRight = members.Where(r => (float)rows[r][f] > cut).ToList();
            if (goLeft.Count == 0 || goRight.Count == 0)
            {
                continue;
            }

            var node = feature.Count;
            feature.Add(f);
            threshold.Add(cut);
            left.Add(~leaf);
            right.Add(~leafRows.Count);
            if (leafParent[leaf].Node >= 0)
            {
                var (parent, isLeft) = leafParent[leaf];
                (isLeft ? left : right)[parent] = node;
            }

            leafRows[leaf] = goLeft;
            leafParent[leaf] = (node, true);
            leafRows.Add(goRight);
            leafParent.Add((node, false));
        }

        var leafValues = leafRows.Select(_ => Math.Round((random.NextDouble() - 0.5) * 0.6, 6)).ToArray();
        var nodeValues = new double[feature.Count];
        var cover = new double[feature.Count];
        for (var n = feature.Count - 1; n >= 0; n--)
        {
            var (lv, lc) = Child(left[n]);
            var (rv, rc) = Child(right[n]);
            cover[n] = lc + rc;
            nodeValues[n] = cover[n] > 0 ? ((lv * lc) + (rv * rc)) / cover[n] : 0;
        }

        return new TreeData([.. feature], [.. threshold], [.. left], [.. right], leafValues, nodeValues, 1);

        (double Value, double Cover) Child(int child) =>
            child < 0 ? (leafValues[~child], leafRows[~child].Count) : (nodeValues[child], cover[child]);
    }

    /// <summary>A leaf chosen in proportion to the square root of the rows it holds (small leaves split too, as
    /// leaf-wise growth does).</summary>
    private static int PickLeaf(List<List<int>> leafRows, Random random)
    {
        var total = leafRows.Sum(l => l.Count > 1 ? 1 / Math.Sqrt(l.Count) : 0);
        var at = random.NextDouble() * total;
        for (var i = 0; i < leafRows.Count; i++)
        {
            var weight = leafRows[i].Count > 1 ? 1 / Math.Sqrt(leafRows[i].Count) : 0;
            if (at < weight)
            {
                return i;
            }

            at -= weight;
        }

        return 0;
    }
}

using Recommender.Contracts;
using Microsoft.ML;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

/// <summary>The ranker (its flattened node arrays, one call per row; and a whole list at once, by leaf masks eight rows
/// per step when every tree has at most 32 leaves) scores exactly as walking each stored tree from its root: trained
/// trees, and random trees whose thresholds the rows hit exactly, with NaN and infinite features and thresholds,
/// single-leaf trees and trees of up to 65 leaves.</summary>
public sealed class TreeEnsembleScoringTests
{
    [Fact]
    public void Score_TrainedEnsemble_EqualsWalkOverStoredTreesBitForBit()
    {
        var train = LearningToRankTests.Synthetic(seed: 11, groups: 120);
        var data = LambdaRankTrainer.Export(LambdaRankTrainer.Train(new MLContext(seed: 1), train, RankingFeature.Count,
            new LambdaRankOptions { Trees = 80, Leaves = 31, MinRowsPerLeaf = 5, LearningRate = 0.2, Threads = 1 }).Model);
        var rows = LearningToRankTests.Synthetic(seed: 12, groups: 20).SelectMany(g => g.Features)
            .Select(r => Array.ConvertAll(r, v => (double)v)).ToList();
        rows[0][RankingFeature.TitleCoverage] = double.NaN;
        rows[1][RankingFeature.Fused] = double.PositiveInfinity;
        rows[2][RankingFeature.Semantic] = double.NegativeInfinity;

        AssertScoresEqualWalk(data, rows, minDistinct: 50);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 31)]
    [InlineData(7, 32)]
    [InlineData(3, 64)]
    [InlineData(4, 65)]
    public void Score_RandomTreesWithEdgeValues_EqualsWalkOverStoredTreesBitForBit(int seed, int maxLeaves)
    {
        var random = new Random(seed);
        const int features = 6;
        var thresholds = new float[] { -1, 0, 0.25f, 0.5f, 0.5f, 1, 3, float.PositiveInfinity, float.NegativeInfinity, float.NaN };
        var trees = new List<TreeData> { Tree(random, 1, features, thresholds) }; // a tree without splits
        for (var t = 0; t < 40; t++)
        {
            trees.Add(Tree(random, t == 0 ? maxLeaves : random.Next(1, maxLeaves + 1), features, thresholds));
        }

        var data = new TreeEnsembleData(0.125, trees);
        var values = new double[] { -1, -0.0, 0, 0.25, 0.5, 0.75, 1, 3, 1e9, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.5000001 };
        var rows = Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, RankingFeature.Count)
            .Select(_ => values[random.Next(values.Length)]).ToArray()).ToList();

        AssertScoresEqualWalk(data, rows, minDistinct: 100);
    }

    [Theory]
    [InlineData(5, 31)]
    [InlineData(6, 64)]
    public void ExplainLeaves_LeavesNotedWhileScoring_EqualsExplainOfTheFeaturesBitForBit(int seed, int maxLeaves)
    {
        var random = new Random(seed);
        var thresholds = new float[] { -1, 0, 0.25f, 0.5f, 1, 3, float.PositiveInfinity, float.NaN };
        var data = new TreeEnsembleData(0.5, Enumerable.Range(0, 60)
            .Select(t => Tree(random, t == 0 ? 1 : random.Next(1, maxLeaves + 1), 8, thresholds)).ToList());
        var values = new double[] { -1, 0, 0.25, 0.5, 0.75, 1, 3, double.NaN, double.PositiveInfinity };
        ILeafExplainer ranker = new TreeEnsembleRanker("t", data);
        var leaves = new int[ranker.Trees];
        var fromLeaves = new double[RankingFeature.Count];
        var fromFeatures = new double[RankingFeature.Count];
        var nonZero = 0;
        for (var r = 0; r < 300; r++)
        {
            var row = Enumerable.Range(0, RankingFeature.Count).Select(_ => values[random.Next(values.Length)]).ToArray();

            var score = ranker.Score(row, leaves);
            ranker.ExplainLeaves(leaves, fromLeaves);
            ranker.Explain(row, fromFeatures);

            Assert.Equal(BitConverter.DoubleToInt64Bits(ranker.Score(row)), BitConverter.DoubleToInt64Bits(score));
            Assert.Equal(fromFeatures.Select(BitConverter.DoubleToInt64Bits), fromLeaves.Select(BitConverter.DoubleToInt64Bits));
            nonZero += fromFeatures.Count(v => v != 0);
        }

        Assert.True(nonZero > 300, "the explanations should credit features");
    }

    private static void AssertScoresEqualWalk(TreeEnsembleData data, List<double[]> rows, int minDistinct)
    {
        var ranker = new TreeEnsembleRanker("t", data);
        var expected = rows.Select(r => Walk(data, r)).ToArray();

        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), rows.Select(r => BitConverter.DoubleToInt64Bits(ranker.Score(r))));
        Assert.True(expected.Distinct().Count() >= minDistinct, "the rows should reach many different leaves");

        // The whole-list scorer (eight rows per step where every tree has at most 32 leaves), on lists whose lengths are
        // and are not multiples of eight: the same scores, and the leaves the one-row scorer notes.
        foreach (var length in new[] { rows.Count, 1, 7, 8, 9, 17 })
        {
            var candidates = rows.Take(length).Select(r =>
            {
                var c = new Candidate(new PinData { Id = "p", Tenant = "t", Title = "x" }, 0, 0, 0);
                r.CopyTo(c.Features.Values);
                return c;
            }).ToList();
            var leaves = new int[length * ranker.Trees];
            ranker.ScoreAll(candidates, leaves);
            Assert.Equal(expected.Take(length).Select(BitConverter.DoubleToInt64Bits), candidates.Select(c => BitConverter.DoubleToInt64Bits(c.Score)));

            var walked = new int[ranker.Trees];
            for (var i = 0; i < length; i++)
            {
                ranker.Score(rows[i], walked);
                Assert.Equal(walked, leaves.AsSpan(i * ranker.Trees, ranker.Trees).ToArray());
            }

            ranker.ScoreAll(candidates, default); // without leaves
            Assert.Equal(expected.Take(length).Select(BitConverter.DoubleToInt64Bits), candidates.Select(c => BitConverter.DoubleToInt64Bits(c.Score)));
        }
    }

    /// <summary>The ensemble's score by walking each stored tree (bias + weight x leaf, tree by tree).</summary>
    private static double Walk(TreeEnsembleData data, double[] row)
    {
        var score = data.Bias;
        foreach (var tree in data.Trees)
        {
            var node = tree.Feature.Length == 0 ? ~0 : 0;
            while (node >= 0)
            {
                node = (float)row[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
            }

            score += tree.Weight * tree.LeafValues[~node];
        }

        return score;
    }

    /// <summary>A random binary tree of <paramref name="leaves"/> leaves in the artifact's layout (nodes numbered as
    /// created, leaves as they are made).</summary>
    private static TreeData Tree(Random random, int leaves, int features, float[] thresholds)
    {
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var leafValues = new List<double>();

        int Grow(int count)
        {
            if (count == 1)
            {
                leafValues.Add(Math.Round(random.NextDouble() - 0.5, 6));
                return ~(leafValues.Count - 1);
            }

            var node = feature.Count;
            feature.Add(random.Next(features));
            threshold.Add(thresholds[random.Next(thresholds.Length)]);
            left.Add(0);
            right.Add(0);
            var toLeft = random.Next(1, count);
            left[node] = Grow(toLeft);
            right[node] = Grow(count - toLeft);
            return node;
        }

        if (leaves == 1)
        {
            leafValues.Add(0.75);
        }
        else
        {
            Grow(leaves);
        }

        var nodeValues = feature.Select(_ => Math.Round(random.NextDouble() - 0.5, 6)).ToArray();
        return new TreeData([.. feature], [.. threshold], [.. left], [.. right], [.. leafValues], nodeValues, 0.5 + random.NextDouble());
    }
}

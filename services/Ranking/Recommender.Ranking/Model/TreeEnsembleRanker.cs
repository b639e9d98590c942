using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Model;

/// <summary>
/// A boosted tree ensemble (exported from ML.NET's LightGBM LambdaRank) evaluated by a tight loop over flat arrays:
/// no allocations, no ML.NET on the hot path. Nodes of all trees share one set of arrays; a child index &lt; 0 is a
/// leaf (<c>~child</c> is its index in <see cref="LeafValues"/>, offset by the tree's first leaf). A sample goes
/// left when <c>(float)feature &lt;= threshold</c>, exactly as ML.NET's regression trees decide (features are
/// float32 there).
/// Explanations are Saabas path attributions: walking a sample's path, each split moves the expected score from the
/// node's value (the training-cover-weighted mean of the leaves under it) to the chosen child's value, and that
/// change is credited to the split's feature. The contributions sum to the score minus the ensemble's mean score.
/// Each split's two possible changes (times the tree's weight) are computed once, when the model is built, with the
/// same arithmetic the walk did, so explanations are the same to the bit and a step costs one addition.
/// A whole list is scored sixteen samples per step (two 256-bit vectors) by leaf bit masks over threshold-sorted splits
/// (<see cref="LeafMaskScorer"/>, <see cref="ScoreAll"/>): the same scores and leaves without the walk's mispredicted
/// branches. (One sample at a time, that scheme was not faster than the walk: about 1,050 failing splits per sample
/// against 533 path steps on the trained 130-tree model; sixteen lanes share each split.)
/// Each leaf also keeps its path's steps (feature, change) from the root down, so a sample whose leaves were noted
/// while scoring is explained by adding those steps in the same order: the same bits without the walk's
/// hard-to-predict branches (<see cref="ILeafExplainer"/>).
/// </summary>
public sealed class TreeEnsembleRanker : ILeafExplainer
{
    private readonly int[] _treeRoot;
    private readonly double[] _treeWeight;
    private readonly int[] _pathStart;
    private readonly int[] _pathFeature;
    private readonly double[] _pathChange;
    private readonly LeafMaskScorer? _lists;

    public TreeEnsembleRanker(string version, TreeEnsembleData data)
    {
        Version = version;
        Data = data;
        var trees = data.Trees.Count;
        _treeRoot = new int[trees];
        _treeWeight = new double[trees];
        var nodes = data.Trees.Sum(t => t.Feature.Length);
        var leaves = data.Trees.Sum(t => t.LeafValues.Length);
        Feature = new int[nodes];
        Threshold = new float[nodes];
        Left = new int[nodes];
        Right = new int[nodes];
        NodeValue = new double[nodes];
        LeafValues = new double[leaves];
        int nodeOffset = 0, leafOffset = 0;
        for (var t = 0; t < trees; t++)
        {
            var tree = data.Trees[t];
            _treeRoot[t] = tree.Feature.Length == 0 ? ~leafOffset : nodeOffset;
            _treeWeight[t] = tree.Weight;
            for (var i = 0; i < tree.Feature.Length; i++)
            {
                Feature[nodeOffset + i] = tree.Feature[i];
                Threshold[nodeOffset + i] = tree.Threshold[i];
                Left[nodeOffset + i] = tree.Left[i] >= 0 ? tree.Left[i] + nodeOffset : ~(~tree.Left[i] + leafOffset);
                Right[nodeOffset + i] = tree.Right[i] >= 0 ? tree.Right[i] + nodeOffset : ~(~tree.Right[i] + leafOffset);
                NodeValue[nodeOffset + i] = tree.NodeValues.Length > i ? tree.NodeValues[i] : 0;
            }

            tree.LeafValues.CopyTo(LeafValues, leafOffset);
            nodeOffset += tree.Feature.Length;
            leafOffset += tree.LeafValues.Length;
        }

        ExplainLeft = new double[nodes];
        ExplainRight = new double[nodes];
        for (var t = 0; t < trees; t++)
        {
            for (var node = _treeRoot[t]; node >= 0 && node < _treeRoot[t] + data.Trees[t].Feature.Length; node++)
            {
                ExplainLeft[node] = _treeWeight[t] * (ValueOf(Left[node]) - NodeValue[node]);
                ExplainRight[node] = _treeWeight[t] * (ValueOf(Right[node]) - NodeValue[node]);
            }
        }

        // Each leaf's path steps, root first: leaf l's are [_pathStart[l], _pathStart[l + 1]).
        var steps = new List<(int Leaf, int Feature, double Change)>();
        var path = new List<(int Feature, double Change)>();
        for (var t = 0; t < trees; t++)
        {
            if (_treeRoot[t] >= 0)
            {
                CollectPaths(_treeRoot[t], path, steps);
            }
        }

        var ordered = steps.OrderBy(s => s.Leaf).ToArray(); // OrderBy is stable: each path keeps its root-first order
        _pathStart = new int[leaves + 1];
        _pathFeature = new int[ordered.Length];
        _pathChange = new double[ordered.Length];
        for (var k = 0; k < ordered.Length; k++)
        {
            _pathStart[ordered[k].Leaf + 1]++;
            _pathFeature[k] = ordered[k].Feature;
            _pathChange[k] = ordered[k].Change;
        }

        for (var l = 0; l < leaves; l++)
        {
            _pathStart[l + 1] += _pathStart[l];
        }

        _lists = LeafMaskScorer.TryCreate(data);
    }

    public string Version { get; }

    /// <summary>The ensemble as stored in the artifact.</summary>
    public TreeEnsembleData Data { get; }

    private int[] Feature { get; }

    private float[] Threshold { get; }

    private int[] Left { get; }

    private int[] Right { get; }

    private double[] NodeValue { get; }

    private double[] LeafValues { get; }

    /// <summary>Per node: weight x (value of the left / right child - the node's value), the explanation's steps.</summary>
    private double[] ExplainLeft { get; }

    private double[] ExplainRight { get; }

    public int Trees => _treeRoot.Length;

    public double Score(ReadOnlySpan<double> features)
    {
        var score = Data.Bias;
        var feature = Feature;
        var threshold = Threshold;
        var left = Left;
        var right = Right;
        var leaves = LeafValues;
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var node = _treeRoot[t];
            while (node >= 0)
            {
                node = (float)features[feature[node]] <= threshold[node] ? left[node] : right[node];
            }

            score += _treeWeight[t] * leaves[~node];
        }

        return score;
    }

    public double Score(ReadOnlySpan<double> features, Span<int> leaves)
    {
        var score = Data.Bias;
        var feature = Feature;
        var threshold = Threshold;
        var left = Left;
        var right = Right;
        var values = LeafValues;
        leaves = leaves[.._treeRoot.Length];
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var node = _treeRoot[t];
            while (node >= 0)
            {
                node = (float)features[feature[node]] <= threshold[node] ? left[node] : right[node];
            }

            leaves[t] = ~node;
            score += _treeWeight[t] * values[~node];
        }

        return score;
    }

    /// <summary>Eight candidates per step by leaf masks (<see cref="LeafMaskScorer"/>) where the trees and the machine
    /// allow, else one walk per candidate; the same scores and leaves either way.</summary>
    public void ScoreAll(IReadOnlyList<Candidate> candidates, Span<int> leaves)
    {
        if (_lists is not null)
        {
            _lists.Score(candidates, leaves);
            return;
        }

        var trees = Trees;
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            c.Score = leaves.IsEmpty ? Score(c.Features.Values) : Score(c.Features.Values, leaves.Slice(i * trees, trees));
        }
    }

    public void ExplainLeaves(ReadOnlySpan<int> leaves, Span<double> contributions)
    {
        contributions.Clear();
        var start = _pathStart;
        var feature = _pathFeature;
        var change = _pathChange;
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var leaf = leaves[t];
            for (var k = start[leaf]; k < start[leaf + 1]; k++)
            {
                contributions[feature[k]] += change[k];
            }
        }
    }

    public void Explain(ReadOnlySpan<double> features, Span<double> contributions)
    {
        contributions.Clear();
        var feature = Feature;
        var threshold = Threshold;
        var left = Left;
        var right = Right;
        var explainLeft = ExplainLeft;
        var explainRight = ExplainRight;
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var node = _treeRoot[t];
            while (node >= 0)
            {
                var f = feature[node];
                if ((float)features[f] <= threshold[node])
                {
                    contributions[f] += explainLeft[node];
                    node = left[node];
                }
                else
                {
                    contributions[f] += explainRight[node];
                    node = right[node];
                }
            }
        }
    }

    /// <summary>Adds, for every leaf under <paramref name="node"/>, the steps from the root to it.</summary>
    private void CollectPaths(int node, List<(int Feature, double Change)> path, List<(int Leaf, int Feature, double Change)> steps)
    {
        foreach (var (child, change) in new[] { (Left[node], ExplainLeft[node]), (Right[node], ExplainRight[node]) })
        {
            path.Add((Feature[node], change));
            if (child < 0)
            {
                foreach (var (feature, step) in path)
                {
                    steps.Add((~child, feature, step));
                }
            }
            else
            {
                CollectPaths(child, path, steps);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private double ValueOf(int child) => child >= 0 ? NodeValue[child] : LeafValues[~child];
}

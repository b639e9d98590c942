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
/// </summary>
public sealed class TreeEnsembleRanker : IRankerModel
{
    private readonly int[] _treeRoot;
    private readonly double[] _treeWeight;

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

    public void Explain(ReadOnlySpan<double> features, Span<double> contributions)
    {
        contributions.Clear();
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var node = _treeRoot[t];
            var weight = _treeWeight[t];
            while (node >= 0)
            {
                var next = (float)features[Feature[node]] <= Threshold[node] ? Left[node] : Right[node];
                var nextValue = next >= 0 ? NodeValue[next] : LeafValues[~next];
                contributions[Feature[node]] += weight * (nextValue - NodeValue[node]);
                node = next;
            }
        }
    }
}

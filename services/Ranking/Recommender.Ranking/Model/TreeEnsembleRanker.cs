using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// <see cref="ScoreBatch"/> scores many candidates tree by tree (one tree's nodes stay in L1 while every candidate of a
/// block walks it) on 8-byte nodes and float features: the whole ensemble's splits take 48 KB instead of 96 KB, and
/// are read once per block instead of once per candidate. Its scores equal <see cref="Score"/>'s to the bit (same
/// comparisons, same products, added in the same tree order).
/// </summary>
public sealed class TreeEnsembleRanker : IRankerModel
{
    /// <summary>Rows scored per block by <see cref="ScoreBatch"/> (their float features: 128 x 31 x 4 B = 16 KB).</summary>
    private const int BatchRows = 128;

    private readonly int[] _treeRoot;
    private readonly double[] _treeWeight;

    // The batch layout: 8-byte nodes, each tree's internal nodes from _batchStart[t]; a child >= 0 is the tree's
    // node of that number, a child < 0 its leaf ~child, scoring _leafScore[_batchLeafStart[t] + ~child] (weight x
    // value). Null when a tree has more than 127 leaves or a feature index is past 255 (then batches score row by row).
    private readonly CompactNode[]? _batchNodes;
    private readonly int[] _batchStart;
    private readonly int[] _batchLeafStart;
    private readonly double[] _leafScore;
    private readonly int _featuresUsed;

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
        var compact = data.Trees.All(t => t.LeafValues.Length <= 127 && t.Feature.All(f => f < 256));
        _batchNodes = compact ? new CompactNode[nodes] : null;
        _batchStart = new int[trees];
        _batchLeafStart = new int[trees];
        _leafScore = new double[leaves];
        int nodeOffset = 0, leafOffset = 0;
        for (var t = 0; t < trees; t++)
        {
            var tree = data.Trees[t];
            Check(tree, t);
            _batchStart[t] = nodeOffset;
            _batchLeafStart[t] = leafOffset;
            for (var i = 0; i < tree.Feature.Length; i++)
            {
                _featuresUsed = Math.Max(_featuresUsed, tree.Feature[i] + 1);
                if (_batchNodes is not null)
                {
                    _batchNodes[nodeOffset + i] = new CompactNode(tree.Threshold[i], (byte)tree.Feature[i], (sbyte)tree.Left[i], (sbyte)tree.Right[i]);
                }
            }

            for (var j = 0; j < tree.LeafValues.Length; j++)
            {
                _leafScore[leafOffset + j] = tree.Weight * tree.LeafValues[j];
            }

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

    public void ScoreBatch(ReadOnlySpan<double> featuresRowMajor, int featureCount, Span<double> scores)
    {
        var n = scores.Length;
        if (featureCount < _featuresUsed || featuresRowMajor.Length < n * featureCount)
        {
            throw new ArgumentException(
                $"{n} rows of {featureCount} features need {n * featureCount} values (have {featuresRowMajor.Length}) and the trees read {_featuresUsed} features.",
                nameof(featuresRowMajor));
        }

        if (featureCount > 64 || _batchNodes is null)
        {
            // Wide rows would not fit the stack block, large trees not the compact nodes: score row by row.
            for (var i = 0; i < n; i++)
            {
                scores[i] = Score(featuresRowMajor.Slice(i * featureCount, featureCount));
            }

            return;
        }

        Span<float> block = stackalloc float[BatchRows * featureCount];
        for (var first = 0; first < n; first += BatchRows)
        {
            var rows = Math.Min(BatchRows, n - first);
            var values = featuresRowMajor.Slice(first * featureCount, rows * featureCount);
            for (var k = 0; k < values.Length; k++)
            {
                block[k] = (float)values[k];
            }

            var part = scores.Slice(first, rows);
            part.Fill(Data.Bias);
            ScoreBlock(block, featureCount, part);
        }
    }

    /// <summary>Adds every tree's leaf to each row's score, tree by tree, so the tree's nodes (240 bytes for 31
    /// leaves) stay in L1 while every row of the block walks it.</summary>
    private void ScoreBlock(Span<float> block, int stride, Span<double> scores)
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_batchNodes!);
        ref var leafScore = ref MemoryMarshal.GetArrayDataReference(_leafScore);
        ref var x = ref MemoryMarshal.GetReference(block);
        var rows = scores.Length;
        for (var t = 0; t < _batchStart.Length; t++)
        {
            ref var tree = ref Unsafe.Add(ref nodes, _batchStart[t]);
            ref var leaves = ref Unsafe.Add(ref leafScore, _batchLeafStart[t]);
            var single = _treeRoot[t] < 0;
            for (var i = 0; i < rows; i++)
            {
                ref var row = ref Unsafe.Add(ref x, i * stride);
                var node = single ? -1 : 0;
                while (node >= 0)
                {
                    ref var at = ref Unsafe.Add(ref tree, node);
                    node = Unsafe.Add(ref row, at.Feature) <= at.Threshold ? at.Left : at.Right;
                }

                scores[i] += Unsafe.Add(ref leaves, ~node);
            }
        }
    }

    /// <summary>Children must point forward within the tree or at one of its leaves, features be non-negative (the
    /// batch walk reads without bounds checks).</summary>
    private static void Check(TreeData tree, int t)
    {
        var nodes = tree.Feature.Length;
        var leaves = tree.LeafValues.Length;
        if (tree.Threshold.Length != nodes || tree.Left.Length != nodes || tree.Right.Length != nodes || leaves < 1)
        {
            throw new ArgumentException($"Tree {t} has inconsistent array lengths.", nameof(tree));
        }

        for (var i = 0; i < nodes; i++)
        {
            if (tree.Feature[i] < 0 || !ChildOk(tree.Left[i], i, nodes, leaves) || !ChildOk(tree.Right[i], i, nodes, leaves))
            {
                throw new ArgumentException($"Tree {t} node {i} points outside the tree.", nameof(tree));
            }
        }

        static bool ChildOk(int child, int node, int nodes, int leaves) => child >= 0 ? child > node && child < nodes : ~child < leaves;
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

    /// <summary>A split in 8 bytes: children are the tree's node numbers (&gt;= 0) or <c>~leaf</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct CompactNode(float Threshold, byte Feature, sbyte Left, sbyte Right);
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Model;

/// <summary>
/// Scores sixteen samples at a time without walking the trees (QuickScorer's leaf bit masks, vectorised across samples
/// as in V-QuickScorer, Lucchese et al., SIGIR 2016). Each tree's leaves are numbered left to right as bits of a mask
/// that starts with every leaf possible; each split, visited feature by feature in ascending threshold order, clears the
/// leaves under its left child in the lanes whose sample goes right (<c>!((float)x &lt;= threshold)</c>, the walk's
/// test negated, so NaN goes right as in the walk). A feature's remaining splits are skipped once every lane goes left
/// of one (their thresholds are no smaller). The lowest bit left in a tree's mask is the leaf the walk reaches. The
/// score then adds each tree's weight x leaf value in tree order, as the walk does, so it is the same to the bit.
/// The walk's cost is its mispredicted branches (about one per tree); this one's is two compares and two mask updates
/// per split visited, shared by sixteen samples (two 256-bit vectors), and no data-dependent branch but the skip.
/// Only for ensembles whose trees have at most 32 leaves (a mask is one 32-bit lane) on machines with 256-bit vectors.
/// </summary>
internal sealed class LeafMaskScorer
{
    /// <summary>Samples per step: one per 32-bit lane of two 256-bit vectors. Each split's threshold, tree and leaf
    /// bits are loaded once for sixteen samples instead of eight; a feature's skip then needs all sixteen to go left,
    /// which costs less than the loads it saves (docs/ranking.md, "Session 22").</summary>
    public const int Lanes = 16;

    /// <summary>Samples per 256-bit vector.</summary>
    private const int Half = 8;

    private const int MaxLeaves = 32;

    private readonly int _trees;
    private readonly int _features;
    private readonly double _bias;

    /// <summary>Feature f's splits are [_featureStart[f], _featureStart[f + 1]), in ascending threshold order.</summary>
    private readonly int[] _featureStart;
    private readonly float[] _threshold;

    /// <summary>Per split: its tree's first mask element (tree x <see cref="Lanes"/>).</summary>
    private readonly int[] _maskAt;

    /// <summary>Per split: the bits of the leaves under its left child.</summary>
    private readonly uint[] _leftLeaves;

    /// <summary>Per tree and bit (tree x 32 + bit): the leaf's index in the ranker's leaf array, and weight x its value
    /// (the walk's product, so the same bits).</summary>
    private readonly int[] _leafOfBit;
    private readonly double[] _contributionOfBit;

    private LeafMaskScorer(TreeEnsembleData data)
    {
        _trees = data.Trees.Count;
        _bias = data.Bias;
        _leafOfBit = new int[_trees * MaxLeaves];
        _contributionOfBit = new double[_trees * MaxLeaves];
        var splits = new List<(int Feature, float Threshold, int MaskAt, uint LeftLeaves)>();
        var leafOffset = 0;
        for (var t = 0; t < _trees; t++)
        {
            var tree = data.Trees[t];
            var bit = 0;

            // Numbers the leaves under `node` left to right from `bit`; returns their bits.
            uint Number(int node)
            {
                if (node < 0)
                {
                    _leafOfBit[(t * MaxLeaves) + bit] = leafOffset + ~node;
                    _contributionOfBit[(t * MaxLeaves) + bit] = tree.Weight * tree.LeafValues[~node];
                    return 1u << bit++;
                }

                var left = Number(tree.Left[node]);
                var right = Number(tree.Right[node]);
                splits.Add((tree.Feature[node], tree.Threshold[node], t * Lanes, left));
                return left | right;
            }

            Number(tree.Feature.Length == 0 ? ~0 : 0);
            leafOffset += tree.LeafValues.Length;
        }

        _features = splits.Count == 0 ? 0 : splits.Max(s => s.Feature) + 1;

        // Grouped by feature, ascending thresholds (NaN first, as float's order has it: a NaN threshold sends every
        // lane right, so it can never end a feature's splits early).
        var ordered = splits.OrderBy(s => s.Feature).ThenBy(s => s.Threshold).ToArray();
        _featureStart = new int[_features + 1];
        _threshold = new float[ordered.Length];
        _maskAt = new int[ordered.Length];
        _leftLeaves = new uint[ordered.Length];
        for (var k = 0; k < ordered.Length; k++)
        {
            _featureStart[ordered[k].Feature + 1]++;
            _threshold[k] = ordered[k].Threshold;
            _maskAt[k] = ordered[k].MaskAt;
            _leftLeaves[k] = ordered[k].LeftLeaves;
        }

        for (var f = 0; f < _features; f++)
        {
            _featureStart[f + 1] += _featureStart[f];
        }
    }

    /// <summary>The scorer for <paramref name="data"/>, or null when a tree has more than 32 leaves or the machine has
    /// no 256-bit vectors (then the walk scores).</summary>
    public static LeafMaskScorer? TryCreate(TreeEnsembleData data) =>
        Vector256.IsHardwareAccelerated && data.Trees.All(t => t.LeafValues.Length <= MaxLeaves && t.Feature.Length < MaxLeaves)
            ? new LeafMaskScorer(data)
            : null;

    /// <summary>Sets each candidate's <see cref="Candidate.Score"/>; with <paramref name="leaves"/> not empty, candidate
    /// i's leaf of tree t goes to <c>leaves[i x trees + t]</c>.</summary>
    public void Score(IReadOnlyList<Candidate> candidates, Span<int> leaves)
    {
        var masks = AlignedMasks(_trees * Lanes);
        Span<float> x = stackalloc float[Math.Max(1, _features * Lanes)];
        Span<double> scores = stackalloc double[Lanes];
        for (var start = 0; start < candidates.Count; start += Lanes)
        {
            var count = Math.Min(Lanes, candidates.Count - start);
            Transpose(candidates, start, count, x);
            Narrow(masks, x);
            scores.Fill(_bias);
            for (var t = 0; t < _trees; t++)
            {
                var at = t * MaxLeaves;
                for (var j = 0; j < count; j++)
                {
                    var bit = BitOperations.TrailingZeroCount(masks[(t * Lanes) + j]);
                    scores[j] += _contributionOfBit[at + bit];
                    if (!leaves.IsEmpty)
                    {
                        leaves[((start + j) * _trees) + t] = _leafOfBit[at + bit];
                    }
                }
            }

            for (var j = 0; j < count; j++)
            {
                candidates[start + j].Score = scores[j];
            }
        }
    }

    /// <summary>This thread's masks, <paramref name="length"/> of them from a 64-byte boundary: a tree's masks are then
    /// whole cache lines, so no 32-byte load or store of <see cref="Narrow"/> spans two lines (an array's elements are
    /// only 8-byte aligned, so in a pooled array one of each tree's two halves spans two lines unless the elements
    /// happen to start on a 32-byte boundary). The array is pinned, so the boundary stays where it was found.</summary>
    private static Span<uint> AlignedMasks(int length)
    {
        const int lineElements = 64 / sizeof(uint);
        if (t_masks is null || t_masks.Length < length + lineElements)
        {
            t_masks = GC.AllocateUninitializedArray<uint>(Math.Max(length + lineElements, 1024), pinned: true);
        }

        var address = (nuint)Unsafe.ByteOffset(ref Unsafe.NullRef<uint>(), ref MemoryMarshal.GetArrayDataReference(t_masks));
        var misalignment = (int)(address % 64 / sizeof(uint));
        return t_masks.AsSpan(misalignment == 0 ? 0 : lineElements - misalignment, length);
    }

    [ThreadStatic]
    private static uint[]? t_masks;

    /// <summary>x[f x 16 + j] = (float)feature f of candidate start + j; lanes past the last candidate repeat it (their
    /// results are not read, and a copy never makes a feature's splits run longer).</summary>
    private void Transpose(IReadOnlyList<Candidate> candidates, int start, int count, Span<float> x)
    {
        for (var j = 0; j < Lanes; j++)
        {
            ReadOnlySpan<double> row = candidates[start + Math.Min(j, count - 1)].Features.Values;
            for (var f = 0; f < _features; f++)
            {
                x[(f * Lanes) + j] = (float)row[f];
            }
        }
    }

    /// <summary>Every tree's mask of the leaves each lane can still reach, after all splits.</summary>
    private void Narrow(Span<uint> masks, ReadOnlySpan<float> x)
    {
        masks.Fill(uint.MaxValue);
        ref var mask = ref MemoryMarshal.GetReference(masks);
        ref var xs = ref MemoryMarshal.GetReference(x);
        var thresholds = _threshold;
        var maskAt = _maskAt;
        var leftLeaves = _leftLeaves;
        for (var f = 0; f < _features; f++)
        {
            var low = Vector256.LoadUnsafe(ref xs, (nuint)(f * Lanes));
            var high = Vector256.LoadUnsafe(ref xs, (nuint)((f * Lanes) + Half));
            for (var k = _featureStart[f]; k < _featureStart[f + 1]; k++)
            {
                var threshold = Vector256.Create(thresholds[k]);
                var leftLow = Vector256.LessThanOrEqual(low, threshold);
                var leftHigh = Vector256.LessThanOrEqual(high, threshold);
                if ((leftLow & leftHigh).ExtractMostSignificantBits() == 0xFF)
                {
                    break; // every lane goes left here, and at every later split of this feature
                }

                var leaves = Vector256.Create(leftLeaves[k]);
                ref var slot = ref Unsafe.Add(ref mask, maskAt[k]);
                Vector256.AndNot(Vector256.LoadUnsafe(ref slot), leaves & ~leftLow.AsUInt32()).StoreUnsafe(ref slot);
                Vector256.AndNot(Vector256.LoadUnsafe(ref slot, (nuint)Half), leaves & ~leftHigh.AsUInt32()).StoreUnsafe(ref slot, (nuint)Half);
            }
        }
    }
}

using System.Numerics.Tensors;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>
/// The embedded store's hybrid fusion as it was before <see cref="SlotFusion"/> (session 5), kept as the reference the
/// new one must equal bit for bit: the generic reciprocal rank fusion the Qdrant backend still uses
/// (<see cref="ReciprocalRankFusion"/>, keyed by entry; so the test also holds the two backends to one tie order) and
/// the branch scores looked up by entry, a dot product for sparse-only hits.
/// Also linked into the benchmarks project as the "before" of `--fuse-cpu`.
/// </summary>
internal static class ReferenceFusion
{
    public static List<SearchHit> Fuse(
        Segment segment, List<(Segment.Entry Entry, float Score)> dense, List<(Segment.Entry Entry, float Score)> sparse,
        float[] denseQuery, int limit, bool withVectors)
    {
        var denseScores = dense.ToDictionary<(Segment.Entry Entry, float Score), Segment.Entry, float>(h => h.Entry, h => h.Score, ReferenceEqualityComparer.Instance);
        var sparseScores = sparse.ToDictionary<(Segment.Entry Entry, float Score), Segment.Entry, float>(h => h.Entry, h => h.Score, ReferenceEqualityComparer.Instance);
        var fused = ReciprocalRankFusion.Fuse<(Segment.Entry Entry, float Score), Segment.Entry>(
            [dense, sparse], h => h.Entry, ReferenceEqualityComparer.Instance, h => h.Entry.Point.Pin.Id, limit);
        var result = new List<SearchHit>(fused.Count);
        foreach (var ((entry, _), score) in fused)
        {
            var cosine = denseScores.TryGetValue(entry, out var d) ? d : TensorPrimitives.Dot(segment.VectorAt(entry.Slot), denseQuery);
            result.Add(new SearchHit(withVectors ? segment.Materialize(entry) : entry.Point, score, cosine, sparseScores.GetValueOrDefault(entry)));
        }

        return result;
    }
}

using System.Numerics.Tensors;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>
/// The embedded store's hybrid fusion as it was before <see cref="SlotFusion"/> (session 5), kept as the reference the
/// new one must equal bit for bit: the generic reciprocal rank fusion (dictionary by entry, fused list, sort by score
/// then ordinal pin id, cut at the limit) and the branch scores looked up by entry, a dot product for sparse-only hits.
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
        var fused = Rrf<(Segment.Entry Entry, float Score), Segment.Entry>(
            [dense, sparse], h => h.Entry, ReferenceEqualityComparer.Instance, h => h.Entry.Point.Pin.Id, limit);
        var result = new List<SearchHit>(fused.Count);
        foreach (var ((entry, _), score) in fused)
        {
            var cosine = denseScores.TryGetValue(entry, out var d) ? d : TensorPrimitives.Dot(segment.VectorAt(entry.Slot), denseQuery);
            result.Add(new SearchHit(withVectors ? segment.Materialize(entry) : entry.Point, score, cosine, sparseScores.GetValueOrDefault(entry)));
        }

        return result;
    }

    /// <summary>ReciprocalRankFusion.Fuse as of session 5 (k = 2).</summary>
    public static List<(T Item, float Score)> Rrf<T, TKey>(
        IReadOnlyList<IReadOnlyList<T>> rankedLists, Func<T, TKey> key, IEqualityComparer<TKey> comparer, Func<T, string> pinId,
        int limit, int k = 2)
        where TKey : notnull
    {
        var at = new Dictionary<TKey, int>(comparer);
        var fused = new List<(T Item, float Score)>();
        foreach (var list in rankedLists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var item = list[rank];
                var add = 1f / (rank + k);
                if (at.TryGetValue(key(item), out var i))
                {
                    fused[i] = (fused[i].Item, fused[i].Score + add);
                }
                else
                {
                    at[key(item)] = fused.Count;
                    fused.Add((item, add));
                }
            }
        }

        fused.Sort((a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(pinId(a.Item), pinId(b.Item));
        });
        if (fused.Count > limit)
        {
            fused.RemoveRange(limit, fused.Count - limit);
        }

        return fused;
    }
}

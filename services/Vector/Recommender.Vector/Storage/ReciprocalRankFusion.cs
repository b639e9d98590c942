namespace Recommender.Vector.Storage;

/// <summary>
/// Reciprocal rank fusion as Qdrant computes it: each list contributes 1 / (rank + k) with a 0-based rank,
/// k = 2 by default. Ties break by pin id so both backends order identically.
/// </summary>
public static class ReciprocalRankFusion
{
    public const int DefaultK = 2;

    /// <summary>Fuses items keyed by their pin id.</summary>
    public static List<(T Item, float Score)> Fuse<T>(
        IReadOnlyList<IReadOnlyList<T>> rankedLists, Func<T, string> key, int limit, int k = DefaultK) =>
        Fuse(rankedLists, key, StringComparer.Ordinal, key, limit, k);

    /// <summary>Fuses items that are the same when <paramref name="comparer"/> says their keys are (the item kept is
    /// the first list's); equal fused scores are ordered by <paramref name="pinId"/>, ordinal.</summary>
    public static List<(T Item, float Score)> Fuse<T, TKey>(
        IReadOnlyList<IReadOnlyList<T>> rankedLists, Func<T, TKey> key, IEqualityComparer<TKey> comparer, Func<T, string> pinId,
        int limit, int k = DefaultK)
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

namespace Recommender.Vector.Storage;

/// <summary>
/// Reciprocal rank fusion as Qdrant computes it: each list contributes 1 / (rank + k) with a 0-based rank,
/// k = 2 by default. Ties break by pin id so both backends order identically.
/// </summary>
public static class ReciprocalRankFusion
{
    public const int DefaultK = 2;

    public static List<(T Item, float Score)> Fuse<T>(
        IReadOnlyList<IReadOnlyList<T>> rankedLists, Func<T, string> key, int limit, int k = DefaultK)
    {
        var scores = new Dictionary<string, (T Item, float Score)>(StringComparer.Ordinal);
        foreach (var list in rankedLists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var item = list[rank];
                var id = key(item);
                var add = 1f / (rank + k);
                scores[id] = scores.TryGetValue(id, out var existing) ? (existing.Item, existing.Score + add) : (item, add);
            }
        }

        return scores
            .OrderByDescending(kv => kv.Value.Score)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(limit)
            .Select(kv => kv.Value)
            .ToList();
    }
}

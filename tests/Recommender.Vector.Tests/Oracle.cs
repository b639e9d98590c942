using Recommender.Contracts;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Tests;

/// <summary>
/// A brute-force reference of what every backend must answer, written from the documented semantics (not from
/// either backend's code): filters on normalised pin fields, cosine for dense, IDF-weighted dot product over pins
/// sharing a term (IDF over all tenants' pins with a sparse vector), RRF with k = 2 on 0-based ranks, the average
/// vector for recommendations, and ties by pin id.
/// </summary>
public sealed class Oracle(IEnumerable<StoredPoint> live, int minPrefetch)
{
    private readonly List<StoredPoint> _live = [.. live];

    public List<(string Id, float Score)> Dense(HybridQuery q, int? limit = null) =>
        Top(Candidates(q.Tenant, q.Filter).Select(p => (p.Pin.Id, Dot(p.Dense, q.Dense!))), limit ?? q.Limit);

    public List<(string Id, float Score)> Sparse(HybridQuery q, int? limit = null)
    {
        var documents = _live.Count(p => p.Sparse.Count > 0);
        var scored = new List<(string, float)>();
        foreach (var p in Candidates(q.Tenant, q.Filter))
        {
            var shared = false;
            var score = 0f;
            for (var i = 0; i < q.Sparse!.Count; i++)
            {
                var at = Array.IndexOf(p.Sparse.Indices, q.Sparse.Indices[i]);
                if (at < 0)
                {
                    continue;
                }

                shared = true;
                var df = _live.Count(o => o.Sparse.Indices.Contains(q.Sparse.Indices[i]));
                var idf = MathF.Log(((documents - df + 0.5f) / (df + 0.5f)) + 1f);
                score += q.Sparse.Values[i] * idf * p.Sparse.Values[at];
            }

            if (shared)
            {
                scored.Add((p.Pin.Id, score));
            }
        }

        return Top(scored, limit ?? q.Limit);
    }

    public List<(string Id, float Score)> Hybrid(HybridQuery q)
    {
        var prefetch = Math.Max(q.Limit, minPrefetch);
        var fused = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var list in new[] { Dense(q, prefetch), Sparse(q, prefetch) })
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                fused[list[rank].Id] = fused.GetValueOrDefault(list[rank].Id) + (1f / (rank + 2));
            }
        }

        return Top(fused.Select(kv => (kv.Key, kv.Value)), q.Limit);
    }

    public List<(string Id, float Score)> Recommend(RecommendQuery q)
    {
        var byId = _live.Where(p => p.Pin.Tenant == q.Tenant).ToDictionary(p => p.Pin.Id);
        var dims = byId[q.PositiveIds[0]].Dense.Length;
        var target = new double[dims];
        foreach (var id in q.PositiveIds)
        {
            for (var d = 0; d < dims; d++)
            {
                target[d] += byId[id].Dense[d] / (double)q.PositiveIds.Count * (q.NegativeIds.Count > 0 ? 2 : 1);
            }
        }

        foreach (var id in q.NegativeIds)
        {
            for (var d = 0; d < dims; d++)
            {
                target[d] -= byId[id].Dense[d] / (double)q.NegativeIds.Count;
            }
        }

        var norm = Math.Sqrt(target.Sum(x => x * x));
        var unit = target.Select(x => (float)(x / norm)).ToArray();
        var examples = q.PositiveIds.Concat(q.NegativeIds).ToHashSet();
        return Top(
            Candidates(q.Tenant, q.Filter).Where(p => !examples.Contains(p.Pin.Id)).Select(p => (p.Pin.Id, Dot(p.Dense, unit))),
            q.Limit);
    }

    public IEnumerable<StoredPoint> Candidates(string tenant, VectorFilter? filter) =>
        _live.Where(p => p.Pin.Tenant == tenant && (filter is null || Matches(filter, p.Pin)));

    public static bool Matches(VectorFilter filter, PinData pin) =>
        filter.Must.All(c => Matches(c, pin))
        && !filter.MustNot.Any(c => Matches(c, pin))
        && (filter.Should.Count == 0 || filter.Should.Any(c => Matches(c, pin)));

    private static bool Matches(FilterCondition condition, PinData pin)
    {
        static string N(string s) => s.Trim().ToLowerInvariant();
        return condition switch
        {
            KeywordCondition { Field: "id" } k => k.Any.Contains(pin.Id),
            KeywordCondition { Field: "brand" } k => k.Any.Any(v => N(v) == N(pin.Brand)),
            KeywordCondition { Field: "colour" } k => k.Any.Any(v => N(v) == N(pin.Colour)),
            KeywordCondition { Field: "in_stock" } k => k.Any.Any(v => N(v) == (pin.InStock ? "true" : "false")),
            KeywordCondition { Field: "category" } k => pin.CategoryPath.Any(c => k.Any.Any(v => N(v) == N(c))),
            RangeCondition { Field: "price" } r => pin.Price is { } p
                && (r.Gt is null || p > r.Gt) && (r.Gte is null || p >= r.Gte) && (r.Lt is null || p < r.Lt) && (r.Lte is null || p <= r.Lte),
            NestedCondition n => Matches(n.Filter, pin),
            _ => throw new ArgumentException(condition.ToString()),
        };
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static List<(string Id, float Score)> Top(IEnumerable<(string Id, float Score)> scored, int limit) =>
        [.. scored.OrderByDescending(s => s.Score).ThenBy(s => s.Id, StringComparer.Ordinal).Take(limit)];
}

using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Storage;

/// <summary>Compiles a <see cref="VectorFilter"/> into a predicate over the embedded store's entries.</summary>
internal static class FilterEvaluator
{
    private static readonly Func<Segment.Entry, bool> All = _ => true;

    public static Func<Segment.Entry, bool> Compile(VectorFilter? filter)
    {
        if (filter is null || filter.IsEmpty)
        {
            return All;
        }

        var must = filter.Must.Select(Compile).ToArray();
        var should = filter.Should.Select(Compile).ToArray();
        var mustNot = filter.MustNot.Select(Compile).ToArray();
        return e =>
        {
            foreach (var c in must)
            {
                if (!c(e))
                {
                    return false;
                }
            }

            foreach (var c in mustNot)
            {
                if (c(e))
                {
                    return false;
                }
            }

            if (should.Length == 0)
            {
                return true;
            }

            foreach (var c in should)
            {
                if (c(e))
                {
                    return true;
                }
            }

            return false;
        };
    }

    private static Func<Segment.Entry, bool> Compile(FilterCondition condition) => condition switch
    {
        KeywordCondition k when k.Field == FilterFields.Id => IdMatch(k.Any),
        KeywordCondition k => KeywordMatch(k.Field, k.Any.Select(FilterFields.NormalizeKeyword).ToHashSet(StringComparer.Ordinal)),
        RangeCondition r when r.Field == FilterFields.Price => e => e.Point.Pin.Price is { } p && InRange(p, r),
        RangeCondition r => throw new ArgumentException($"'{r.Field}' is not a numeric field."),
        NestedCondition n => Compile(n.Filter),
        _ => throw new ArgumentException($"Unsupported condition {condition.GetType().Name}."),
    };

    private static Func<Segment.Entry, bool> IdMatch(IReadOnlyList<string> ids)
    {
        var set = ids.ToHashSet(StringComparer.Ordinal);
        return e => set.Contains(e.Point.Pin.Id);
    }

    private static Func<Segment.Entry, bool> KeywordMatch(string field, HashSet<string> values) => field switch
    {
        FilterFields.Brand => e => values.Contains(e.Brand),
        FilterFields.Colour => e => values.Contains(e.Colour),
        FilterFields.InStock => e => values.Contains(e.InStock),
        FilterFields.Category => e => e.Categories.Any(values.Contains),
        _ => throw new ArgumentException($"'{field}' is not a keyword field."),
    };

    private static bool InRange(double value, RangeCondition r) =>
        (r.Gt is not { } gt || value > gt)
        && (r.Gte is not { } gte || value >= gte)
        && (r.Lt is not { } lt || value < lt)
        && (r.Lte is not { } lte || value <= lte);
}

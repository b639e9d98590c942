using Recommender.Vector.Qdrant.Grpc;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;
using QCondition = Recommender.Vector.Qdrant.Grpc.Condition;
using QRange = Recommender.Vector.Qdrant.Grpc.Range;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>
/// Translates the project's filter language into Qdrant's, with the same meaning the embedded store gives it:
/// keywords are matched after the same normalisation, "id" becomes a has_id on the tenant's point ids, price is a
/// numeric range, nested filters become a filter condition. Every query is scoped to its tenant and skips tombstones.
/// </summary>
public static class QdrantFilters
{
    /// <summary>tenant == <paramref name="tenant"/>, not a tombstone, and the caller's filter.</summary>
    public static QFilter Scope(string tenant, VectorFilter? filter)
    {
        var scope = new QFilter();
        scope.Must.Add(Keyword(QdrantPayload.Tenant, [tenant]));
        if (filter is { IsEmpty: false })
        {
            scope.Must.Add(new QCondition { Filter = Translate(tenant, filter) });
        }

        scope.MustNot.Add(IsTombstone());
        return scope;
    }

    /// <summary>Live points only, optionally of one tenant (for counting).</summary>
    public static QFilter Live(string? tenant)
    {
        var filter = new QFilter();
        if (!string.IsNullOrEmpty(tenant))
        {
            filter.Must.Add(Keyword(QdrantPayload.Tenant, [tenant]));
        }

        filter.MustNot.Add(IsTombstone());
        return filter;
    }

    public static QFilter Translate(string tenant, VectorFilter filter)
    {
        var result = new QFilter();
        result.Must.Add(filter.Must.Select(c => Translate(tenant, c)));
        result.Should.Add(filter.Should.Select(c => Translate(tenant, c)));
        result.MustNot.Add(filter.MustNot.Select(c => Translate(tenant, c)));
        return result;
    }

    /// <summary>The point ids <paramref name="ids"/> whose stored version is below <paramref name="version"/>.</summary>
    public static QCondition OlderThan(IEnumerable<string> pointIds, long version)
    {
        var inner = new QFilter();
        inner.Must.Add(HasIds(pointIds));
        inner.Must.Add(new QCondition
        {
            Field = new FieldCondition { Key = QdrantPayload.Version, Range = new QRange { Lt = version } },
        });
        return new QCondition { Filter = inner };
    }

    public static QCondition HasIds(IEnumerable<string> pointIds)
    {
        var hasId = new HasIdCondition();
        hasId.HasId.Add(pointIds.Select(id => new PointId { Uuid = id }));
        return new QCondition { HasId = hasId };
    }

    private static QCondition Translate(string tenant, FilterCondition condition) => condition switch
    {
        KeywordCondition { Any.Count: 0 } => NeverMatches(),
        KeywordCondition { Field: FilterFields.Id } k => HasIds(k.Any.Distinct(StringComparer.Ordinal).Select(id => QdrantPointId.For(tenant, id))),
        KeywordCondition k when FilterFields.Keywords.Contains(k.Field) =>
            Keyword(k.Field, k.Any.Select(FilterFields.NormalizeKeyword).Distinct(StringComparer.Ordinal).ToArray()),
        KeywordCondition k => throw new ArgumentException($"'{k.Field}' is not a keyword field."),
        RangeCondition { Field: FilterFields.Price } r => new QCondition
        {
            Field = new FieldCondition { Key = QdrantPayload.Price, Range = ToRange(r) },
        },
        RangeCondition r => throw new ArgumentException($"'{r.Field}' is not a numeric field."),
        NestedCondition n => new QCondition { Filter = Translate(tenant, n.Filter) },
        _ => throw new ArgumentException($"Unsupported condition {condition.GetType().Name}."),
    };

    private static QRange ToRange(RangeCondition r)
    {
        var range = new QRange();
        if (r.Gt is { } gt)
        {
            range.Gt = gt;
        }

        if (r.Gte is { } gte)
        {
            range.Gte = gte;
        }

        if (r.Lt is { } lt)
        {
            range.Lt = lt;
        }

        if (r.Lte is { } lte)
        {
            range.Lte = lte;
        }

        return range;
    }

    private static QCondition Keyword(string key, IReadOnlyList<string> values)
    {
        var match = new Match();
        if (values.Count == 1)
        {
            match.Keyword = values[0];
        }
        else
        {
            var any = new RepeatedStrings();
            any.Strings.Add(values);
            match.Keywords = any;
        }

        return new QCondition { Field = new FieldCondition { Key = key, Match = match } };
    }

    private static QCondition IsTombstone() =>
        new() { Field = new FieldCondition { Key = QdrantPayload.Deleted, Match = new Match { Boolean = true } } };

    /// <summary>"Any of no values" matches nothing: not(an empty filter), since an empty filter matches everything.</summary>
    private static QCondition NeverMatches()
    {
        var never = new QFilter();
        never.MustNot.Add(new QCondition { Filter = new QFilter() });
        return new QCondition { Filter = never };
    }
}

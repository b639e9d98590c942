namespace Recommender.Vector.Storage;

/// <summary>
/// The filter language both backends speak (a subset of Qdrant's): every <see cref="Must"/> condition holds,
/// none of <see cref="MustNot"/> holds, and at least one <see cref="Should"/> holds when there are any.
/// </summary>
public sealed record VectorFilter(
    IReadOnlyList<FilterCondition> Must,
    IReadOnlyList<FilterCondition> Should,
    IReadOnlyList<FilterCondition> MustNot)
{
    public static VectorFilter Empty { get; } = new([], [], []);

    public bool IsEmpty => Must.Count == 0 && Should.Count == 0 && MustNot.Count == 0;
}

public abstract record FilterCondition;

/// <summary>The keyword field equals any of the values (case-insensitive).</summary>
public sealed record KeywordCondition(string Field, IReadOnlyList<string> Any) : FilterCondition;

/// <summary>The numeric field lies in the range; a pin without the field never matches.</summary>
public sealed record RangeCondition(string Field, double? Gt, double? Gte, double? Lt, double? Lte) : FilterCondition;

public sealed record NestedCondition(VectorFilter Filter) : FilterCondition;

/// <summary>The filterable fields and how pins expose them.</summary>
public static class FilterFields
{
    public const string Id = "id";
    public const string Brand = "brand";
    public const string Category = "category";
    public const string Colour = "colour";
    public const string InStock = "in_stock";
    public const string Price = "price";

    public static readonly IReadOnlySet<string> Keywords =
        new HashSet<string>(StringComparer.Ordinal) { Id, Brand, Category, Colour, InStock };

    public static readonly IReadOnlySet<string> Numbers = new HashSet<string>(StringComparer.Ordinal) { Price };

    /// <summary>Keyword values are compared in this form.</summary>
    public static string NormalizeKeyword(string value) => value.Trim().ToLowerInvariant();
}

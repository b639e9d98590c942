namespace Recommender.Ranking.Intent;

/// <summary>How the shopper wants results ordered, when they said so.</summary>
public enum IntentSort
{
    Relevance = 0,
    Cheapest = 1,
    BestRated = 2,
    Newest = 3,
}

/// <summary>
/// What a query asks for. Hard constraints (<see cref="PriceMin"/>, <see cref="PriceMax"/>,
/// <see cref="ExcludedBrands"/>, and <see cref="Brands"/> when <see cref="BrandsRequired"/>) become vector-store
/// filters; the soft ones (category, colour, material, size, mentioned brands, price sensitivity, sort) become
/// ranking features. <see cref="Spans"/> index into <see cref="NormalizedQuery"/>.
/// </summary>
public sealed record ShoppingIntent
{
    public required string NormalizedQuery { get; init; }

    /// <summary>The words left for text matching once constraints are taken out.</summary>
    public string Text { get; init; } = "";

    /// <summary>A catalog category (a level of some pin's category path), or null.</summary>
    public string? Category { get; init; }

    public double CategoryConfidence { get; init; }

    /// <summary>Canonical brand names (as the catalog spells them) the query mentions positively.</summary>
    public IReadOnlyList<string> Brands { get; init; } = [];

    /// <summary>True when the query asked for <see cref="Brands"/> explicitly ("only hp", "brand:hp").</summary>
    public bool BrandsRequired { get; init; }

    /// <summary>Canonical brand names the query rules out ("not logitech").</summary>
    public IReadOnlyList<string> ExcludedBrands { get; init; } = [];

    public string? Colour { get; init; }

    public string? Material { get; init; }

    /// <summary>A size or dimension as typed, normalised ("36 in", "2 tb", "1/2 in").</summary>
    public string? Size { get; init; }

    public double? PriceMin { get; init; }

    public double? PriceMax { get; init; }

    public string Currency { get; init; } = "USD";

    /// <summary>"cheap", "budget", "$$": lower prices preferred, without a bound.</summary>
    public bool PriceSensitive { get; init; }

    /// <summary>Negated words that are not a known brand ("without bluetooth" -> "bluetooth").</summary>
    public IReadOnlyList<string> NegatedTerms { get; init; } = [];

    public IntentSort Sort { get; init; }

    public IReadOnlyList<IntentSlotSpan> Spans { get; init; } = [];

    /// <summary>"embedded", "remote" or "embedded-fallback".</summary>
    public string Parser { get; init; } = IntentParsers.Embedded;

    public static ShoppingIntent Empty(string normalizedQuery) => new() { NormalizedQuery = normalizedQuery, Text = normalizedQuery };
}

/// <summary>Where a slot's value came from in the normalized query.</summary>
public sealed record IntentSlotSpan(string Slot, int Start, int Length, string Value);

/// <summary>The slot names spans carry.</summary>
public static class IntentSlots
{
    public const string PriceMin = "price_min";
    public const string PriceMax = "price_max";
    public const string PriceRange = "price_range";
    public const string PriceSensitive = "price_sensitive";
    public const string Brand = "brand";
    public const string ExcludedBrand = "excluded_brand";
    public const string Negation = "negation";
    public const string Category = "category";
    public const string Colour = "colour";
    public const string Material = "material";
    public const string Size = "size";
    public const string Sort = "sort";
}

/// <summary>Names of the parsers an intent can come from.</summary>
public static class IntentParsers
{
    public const string Embedded = "embedded";
    public const string Remote = "remote";
    public const string Fallback = "embedded-fallback";
}

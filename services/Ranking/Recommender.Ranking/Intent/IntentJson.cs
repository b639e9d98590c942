using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The intent as JSON: what the open model is asked to answer (and what the fine-tuning set teaches it). Slot names
/// are snake_case; absent values are null or empty arrays; sort is one of relevance, cheapest, best_rated, newest.
/// </summary>
public sealed record IntentJson
{
    [JsonPropertyName("category")]
    public string? Category { get; init; }

    [JsonPropertyName("brands")]
    public IReadOnlyList<string>? Brands { get; init; }

    [JsonPropertyName("excluded_brands")]
    public IReadOnlyList<string>? ExcludedBrands { get; init; }

    [JsonPropertyName("colour")]
    public string? Colour { get; init; }

    [JsonPropertyName("material")]
    public string? Material { get; init; }

    [JsonPropertyName("size")]
    public string? Size { get; init; }

    [JsonPropertyName("price_min")]
    public double? PriceMin { get; init; }

    [JsonPropertyName("price_max")]
    public double? PriceMax { get; init; }

    [JsonPropertyName("currency")]
    public string? Currency { get; init; }

    [JsonPropertyName("price_sensitive")]
    public bool? PriceSensitive { get; init; }

    [JsonPropertyName("negated_terms")]
    public IReadOnlyList<string>? NegatedTerms { get; init; }

    [JsonPropertyName("sort")]
    public string? Sort { get; init; }

    public const int MaxStringLength = 100;
    public const int MaxListLength = 10;
    public const double MaxPrice = 10_000_000;

    public static readonly JsonSerializerOptions SerializerOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The JSON schema sent as the response format (and quoted in the system prompt).</summary>
    public const string Schema = """
        {"type":"object","additionalProperties":false,
         "required":["category","brands","excluded_brands","colour","material","size","price_min","price_max","currency","price_sensitive","negated_terms","sort"],
         "properties":{
          "category":{"type":["string","null"]},
          "brands":{"type":"array","items":{"type":"string"}},
          "excluded_brands":{"type":"array","items":{"type":"string"}},
          "colour":{"type":["string","null"]},
          "material":{"type":["string","null"]},
          "size":{"type":["string","null"]},
          "price_min":{"type":["number","null"]},
          "price_max":{"type":["number","null"]},
          "currency":{"type":["string","null"]},
          "price_sensitive":{"type":"boolean"},
          "negated_terms":{"type":"array","items":{"type":"string"}},
          "sort":{"type":"string","enum":["relevance","cheapest","best_rated","newest"]}}}
        """;

    /// <summary><see cref="Schema"/> without white space, as quoted in the prompt.</summary>
    public static readonly string CompactSchema = JsonSerializer.Serialize(JsonDocument.Parse(Schema).RootElement);

    public static IntentJson From(ShoppingIntent intent) => new()
    {
        Category = intent.Category,
        Brands = intent.Brands,
        ExcludedBrands = intent.ExcludedBrands,
        Colour = intent.Colour,
        Material = intent.Material,
        Size = intent.Size,
        PriceMin = intent.PriceMin,
        PriceMax = intent.PriceMax,
        Currency = intent.PriceMin is null && intent.PriceMax is null ? null : intent.Currency,
        PriceSensitive = intent.PriceSensitive,
        NegatedTerms = intent.NegatedTerms,
        Sort = SortName(intent.Sort),
    };

    public string ToJson() => JsonSerializer.Serialize(this, SerializerOptions);

    public static string SortName(IntentSort sort) => sort switch
    {
        IntentSort.Cheapest => "cheapest",
        IntentSort.BestRated => "best_rated",
        IntentSort.Newest => "newest",
        _ => "relevance",
    };

    /// <summary>Parses and validates a model's answer; null with the reason when it is not a valid intent.</summary>
    public static IntentJson? TryParse(string? content, out string error)
    {
        error = "";
        if (string.IsNullOrWhiteSpace(content))
        {
            error = "empty answer";
            return null;
        }

        var json = content.Trim();
        if (json.StartsWith("```", StringComparison.Ordinal))
        {
            // Some models wrap JSON in a code fence despite the response format.
            var first = json.IndexOf('\n', StringComparison.Ordinal);
            var last = json.LastIndexOf("```", StringComparison.Ordinal);
            json = first > 0 && last > first ? json[(first + 1)..last] : json;
        }

        IntentJson? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<IntentJson>(json, SerializerOptions);
        }
        catch (JsonException ex)
        {
            error = $"not intent JSON: {ex.Message}";
            return null;
        }

        if (parsed is null)
        {
            error = "null answer";
            return null;
        }

        error = parsed.Validate();
        return error.Length == 0 ? parsed : null;
    }

    /// <summary>Empty when the values are in range; otherwise the first problem found.</summary>
    public string Validate()
    {
        foreach (var (name, value) in (ReadOnlySpan<(string, double?)>)[("price_min", PriceMin), ("price_max", PriceMax)])
        {
            if (value is { } v && (!double.IsFinite(v) || v < 0 || v > MaxPrice))
            {
                return $"{name} {v.ToString(CultureInfo.InvariantCulture)} is out of range";
            }
        }

        if (PriceMin is { } lo && PriceMax is { } hi && lo > hi)
        {
            return "price_min exceeds price_max";
        }

        if (Sort is not (null or "relevance" or "cheapest" or "best_rated" or "newest"))
        {
            return $"unknown sort '{Sort}'";
        }

        if (Currency is { } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
        {
            return $"currency '{c}' is not an ISO 4217 code";
        }

        foreach (var s in (ReadOnlySpan<string?>)[Category, Colour, Material, Size])
        {
            if (s is { Length: > MaxStringLength })
            {
                return "a slot value is too long";
            }
        }

        foreach (var list in (ReadOnlySpan<IReadOnlyList<string>?>)[Brands, ExcludedBrands, NegatedTerms])
        {
            if (list is { Count: > MaxListLength } || (list?.Any(v => v is null || v.Length > MaxStringLength) ?? false))
            {
                return "a list slot is too long or holds null";
            }
        }

        return "";
    }

    [JsonIgnore]
    public IntentSort ParsedSort => Sort switch
    {
        "cheapest" => IntentSort.Cheapest,
        "best_rated" => IntentSort.BestRated,
        "newest" => IntentSort.Newest,
        _ => IntentSort.Relevance,
    };
}

/// <summary>The instructions the open model gets; the fine-tuning set uses the same text.</summary>
public static class IntentPrompt
{
    public static readonly string System =
        "You turn an online shopper's search query into a JSON shopping intent. Answer with one JSON object only, " +
        "matching this schema: " + IntentJson.CompactSchema + " Rules: price_max is the upper bound of 'under', 'less than', " +
        "'up to', 'at most'; price_min the lower bound of 'over', 'at least', 'from'; 'between A and B' sets both. " +
        "Brands the shopper rules out ('not X', 'without X', 'no X', 'except X') go in excluded_brands, other ruled-out " +
        "words in negated_terms. brands lists brands the shopper wants. category is the product type in the store's " +
        "words. price_sensitive is true for 'cheap', 'budget', '$$'. Use null or [] for anything not asked for.";
}

using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The words a tenant's catalog gives meaning to: its brands (with aliases such as "startech" for "StarTech.com",
/// "tripplite" for "Tripp Lite"), category names (every level of the category paths), colours and materials (pin
/// colour and colour/material attributes, split on commas, plus common colour and material words). Built once per
/// catalog version and read concurrently.
/// </summary>
public sealed class CatalogVocabulary
{
    private static readonly HashSet<string> CorporateSuffixes = new(StringComparer.Ordinal)
    {
        "com", "inc", "corp", "corporation", "co", "ltd", "gmbh", "llc", "ag", "technology", "technologies",
        "international", "group", "electronics", "europe", "usa",
    };

    /// <summary>Single words never taken as a brand alias: they are too common in queries.</summary>
    private static readonly HashSet<string> NotABrand = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "for", "with", "in", "on", "of", "to", "by", "at", "no", "not", "all", "one", "new",
        "only", "just", "plus", "pro", "max", "mini", "air", "go", "under", "over", "best", "top", "cheap", "&",
        "black", "white", "red", "blue", "green", "case", "cases", "cable", "phone", "ink", "paper", "power",
    };

    private static readonly string[] CommonColours =
    [
        "black", "white", "grey", "gray", "silver", "red", "blue", "green", "yellow", "orange", "pink", "purple",
        "brown", "beige", "gold", "rose gold", "navy", "teal", "cyan", "magenta", "ivory", "cream", "clear",
        "transparent", "multicolour", "multicolor", "space gray", "charcoal", "bronze", "copper", "tan", "turquoise",
    ];

    private static readonly string[] CommonMaterials =
    [
        "leather", "faux leather", "wool", "cotton", "linen", "silk", "polyester", "nylon", "wood", "bamboo", "metal",
        "steel", "stainless steel", "aluminium", "aluminum", "plastic", "glass", "ceramic", "silicone", "rubber",
        "marble", "granite", "jute", "velvet", "carbon fiber", "carbon fibre", "polycarbonate", "tpu", "vinyl", "paper",
    ];

    private readonly Dictionary<string, Brand> _brandsByName;
    private readonly Dictionary<string, HashSet<string>> _ancestors;

    private CatalogVocabulary(
        int pinCount, PhraseIndex brands, Dictionary<string, Brand> brandsByName, PhraseIndex categories,
        IReadOnlyList<string> categoryNames, PhraseIndex colours, PhraseIndex materials, Dictionary<string, HashSet<string>> ancestors)
    {
        _ancestors = ancestors;
        PinCount = pinCount;
        Brands = brands;
        _brandsByName = brandsByName;
        Categories = categories;
        CategoryNames = categoryNames;
        Colours = colours;
        Materials = materials;
    }

    /// <summary>Spelling correction of query words against this catalog's words (retrieval and features use it).</summary>
    public QuerySpeller Speller { get; private init; } = QuerySpeller.Empty;

    /// <summary>A vocabulary with only the common colour and material words: what a tenant gets before its catalog
    /// has been read.</summary>
    public static CatalogVocabulary Empty { get; } = Build([]);

    public int PinCount { get; }

    public PhraseIndex Brands { get; }

    public PhraseIndex Categories { get; }

    /// <summary>Every category name, as the catalog spells it.</summary>
    public IReadOnlyList<string> CategoryNames { get; }

    public PhraseIndex Colours { get; }

    public PhraseIndex Materials { get; }

    public int BrandCount => _brandsByName.Count;

    public IEnumerable<string> BrandNames => _brandsByName.Keys;

    /// <summary>How many pins carry the brand (0 when unknown).</summary>
    public int BrandPins(string canonical) => _brandsByName.TryGetValue(canonical, out var b) ? b.Pins : 0;

    /// <summary>Every spelling of a brand the catalog holds ("Insignia™", "Insignia"), for exact keyword filters.</summary>
    public IReadOnlyList<string> BrandSpellings(string canonical) =>
        _brandsByName.TryGetValue(canonical, out var b) ? b.Spellings : [canonical];

    /// <summary>True when <paramref name="ancestor"/> sits above <paramref name="category"/> in some pin's category path.</summary>
    public bool IsAncestor(string ancestor, string category) =>
        _ancestors.TryGetValue(category, out var above) && above.Contains(ancestor);

    /// <summary>Maps free text naming a brand ("startech", "Tripp-Lite") to the catalog's brand, if it is one.</summary>
    public bool TryResolveBrand(string text, out string canonical) => TryResolveWhole(Brands, text, out canonical);

    public bool TryResolveCategory(string text, out string canonical) => TryResolveWhole(Categories, text, out canonical);

    public bool TryResolveColour(string text, out string canonical) => TryResolveWhole(Colours, text, out canonical);

    public bool TryResolveMaterial(string text, out string canonical) => TryResolveWhole(Materials, text, out canonical);

    public static CatalogVocabulary Build(IEnumerable<PinData> pins)
    {
        var brandSpellings = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var categoryCounts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var colourCounts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var materialCounts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var ancestors = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        var count = 0;
        var speller = new QuerySpeller.Builder();
        foreach (var pin in pins)
        {
            count++;
            speller.Add(pin);
            var brand = pin.Brand.Trim();
            var words = IntentText.Words(brand);
            if (words.Length > 0)
            {
                var key = string.Join(' ', words);
                if (!brandSpellings.TryGetValue(key, out var spellings))
                {
                    brandSpellings[key] = spellings = new Dictionary<string, int>(StringComparer.Ordinal);
                }

                spellings[brand] = spellings.GetValueOrDefault(brand) + 1;
            }

            for (var level = 0; level < pin.CategoryPath.Count; level++)
            {
                var name = pin.CategoryPath[level].Trim();
                if (name.Length > 1 && name.Any(char.IsLetter))
                {
                    categoryCounts[name] = categoryCounts.GetValueOrDefault(name) + 1;
                    if (level > 0)
                    {
                        if (!ancestors.TryGetValue(name, out var above))
                        {
                            ancestors[name] = above = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                        }

                        for (var up = 0; up < level; up++)
                        {
                            above.Add(pin.CategoryPath[up].Trim());
                        }
                    }
                }
            }

            AddSplit(colourCounts, pin.Colour);
            foreach (var (attribute, value) in pin.Attributes)
            {
                if (attribute is "product_colour" or "colour" or "color" or "colour_name")
                {
                    AddSplit(colourCounts, value);
                }
                else if (attribute == "material" || attribute.EndsWith("_material", StringComparison.Ordinal))
                {
                    AddSplit(materialCounts, value);
                }
            }
        }

        var brandIndex = new PhraseIndex.Builder(folded: false);
        var brandsByName = new Dictionary<string, Brand>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, spellings) in brandSpellings)
        {
            var pinsWithBrand = spellings.Values.Sum();
            var canonical = Display(spellings.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First().Key);
            brandsByName[canonical] = new Brand(canonical, spellings.Keys.Order(StringComparer.Ordinal).ToArray(), pinsWithBrand);
            foreach (var alias in BrandAliases(key.Split(' ')))
            {
                brandIndex.Add(alias, canonical, pinsWithBrand);
            }
        }

        var categoryIndex = new PhraseIndex.Builder(folded: true);
        foreach (var (name, n) in categoryCounts)
        {
            var words = IntentText.FoldedWords(name);
            categoryIndex.Add(words, name, n);
            if (words.Length > 1 && words[0] == "all")
            {
                categoryIndex.Add(words[1..], name, n);
            }

            // "Cell Phone Cases & Clips" is also named by "cell phone cases".
            var amp = Array.IndexOf(words, "&");
            if (amp > 0)
            {
                categoryIndex.Add(words[..amp], name, n);
            }
        }

        return new CatalogVocabulary(
            count,
            brandIndex.Build(),
            brandsByName,
            categoryIndex.Build(),
            categoryCounts.Keys.Order(StringComparer.OrdinalIgnoreCase).ToArray(),
            ValueIndex(colourCounts, CommonColours),
            ValueIndex(materialCounts, CommonMaterials),
            ancestors) { Speller = speller.Build() };
    }

    /// <summary>"startech com" -> itself, "startechcom", "startech"; "tripp lite" -> itself, "tripplite".</summary>
    private static IEnumerable<string[]> BrandAliases(string[] words)
    {
        if (words.Length == 1)
        {
            if (words[0].Length >= 2 && !NotABrand.Contains(words[0]))
            {
                yield return words;
            }

            yield break;
        }

        yield return words;
        var joined = string.Concat(words.Where(w => w != "&"));
        if (joined.Length >= 3)
        {
            yield return [joined];
        }

        var trimmed = words;
        while (trimmed.Length > 1 && CorporateSuffixes.Contains(trimmed[^1]))
        {
            trimmed = trimmed[..^1];
        }

        if (trimmed.Length < words.Length && (trimmed.Length > 1 || (trimmed[0].Length >= 3 && !NotABrand.Contains(trimmed[0]))))
        {
            yield return trimmed;
        }
    }

    private static PhraseIndex ValueIndex(Dictionary<string, int> catalogCounts, string[] common)
    {
        var builder = new PhraseIndex.Builder(folded: true);
        foreach (var word in common)
        {
            builder.Add(IntentText.FoldedWords(word), word, 0.5);
        }

        foreach (var (value, n) in catalogCounts)
        {
            var display = value.ToLowerInvariant();
            var open = display.IndexOf('(', StringComparison.Ordinal);
            if (open > 0 && display.EndsWith(')'))
            {
                // "Polyvinyl chloride (PVC)": both the name and the abbreviation name it.
                var abbreviation = display[(open + 1)..^1];
                display = display[..open].Trim();
                builder.Add(IntentText.FoldedWords(abbreviation), display, n);
            }

            builder.Add(IntentText.FoldedWords(display), display, n);
        }

        return builder.Build();
    }

    private static void AddSplit(Dictionary<string, int> counts, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Length is > 1 and <= 40 && part.Any(char.IsLetter))
            {
                counts[part] = counts.GetValueOrDefault(part) + 1;
            }
        }
    }

    private static bool TryResolveWhole(PhraseIndex index, string text, out string canonical)
    {
        var tokens = IntentText.Tokenize(IntentText.NormalizeQuery(text));
        if (tokens.Count > 0 && index.TryMatch(tokens, 0, out var length, out var value) && length == tokens.Count)
        {
            canonical = value;
            return true;
        }

        canonical = "";
        return false;
    }

    private static string Display(string brand) => brand.Replace("™", "", StringComparison.Ordinal).Replace("®", "", StringComparison.Ordinal).Trim();

    private sealed record Brand(string Canonical, string[] Spellings, int Pins);
}

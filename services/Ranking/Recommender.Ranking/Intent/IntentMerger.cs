using System.Globalization;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Combines the open model's answer with the embedded parse. The rule: what the grammar found literally in the query
/// stands; the model may add, never overrule, and a hard constraint it adds must be grounded in the query text.
/// <list type="bullet">
/// <item>Price bounds: the grammar's bound wins. A bound only the model saw is kept when its number is written in the
/// query (no invented filters).</item>
/// <item>Excluded brands: union; the model's must be catalog brands whose words appear in the query, otherwise they
/// become negated terms (when written in the query) or are dropped.</item>
/// <item>Brands: union of catalog brands. <see cref="ShoppingIntent.BrandsRequired"/> stays the grammar's.</item>
/// <item>Category: the model's when it names a catalog category (it understands "gift for a runner"); else the
/// embedded one. Colour, material, size: the embedded value when it found one, else the model's.</item>
/// <item>Sort: the grammar's when it found one; price sensitivity: either. Text and spans: the embedded ones.</item>
/// </list>
/// </summary>
public static class IntentMerger
{
    /// <summary>The confidence reported for a category the model chose.</summary>
    public const double RemoteCategoryConfidence = 0.9;

    public static ShoppingIntent Merge(ShoppingIntent embedded, IntentJson remote, CatalogVocabulary vocabulary)
    {
        var query = embedded.NormalizedQuery;
        var queryWords = IntentText.Tokenize(query).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);

        var excluded = embedded.ExcludedBrands.ToList();
        var negated = embedded.NegatedTerms.ToList();
        foreach (var name in remote.ExcludedBrands ?? [])
        {
            if (vocabulary.TryResolveBrand(name, out var brand) && BrandWritten(name, queryWords))
            {
                AddDistinct(excluded, brand);
            }
            else if (Written(name, queryWords))
            {
                AddDistinct(negated, name.Trim().ToLowerInvariant());
            }
        }

        foreach (var term in remote.NegatedTerms ?? [])
        {
            if (Written(term, queryWords) && !excluded.Any(b => string.Equals(b, term, StringComparison.OrdinalIgnoreCase)))
            {
                AddDistinct(negated, term.Trim().ToLowerInvariant());
            }
        }

        var brands = embedded.Brands.ToList();
        foreach (var name in remote.Brands ?? [])
        {
            if (vocabulary.TryResolveBrand(name, out var brand) && !excluded.Contains(brand, StringComparer.OrdinalIgnoreCase))
            {
                AddDistinct(brands, brand);
            }
        }

        var category = embedded.Category;
        var confidence = embedded.CategoryConfidence;
        if (remote.Category is { Length: > 0 } c && vocabulary.TryResolveCategory(c, out var known))
        {
            category = known;
            confidence = Math.Max(RemoteCategoryConfidence, string.Equals(known, embedded.Category, StringComparison.Ordinal) ? confidence : 0);
        }

        var min = embedded.PriceMin ?? Grounded(remote.PriceMin, query);
        var max = embedded.PriceMax ?? Grounded(remote.PriceMax, query);
        if (min is { } lo && max is { } hi && lo > hi)
        {
            min = embedded.PriceMin;
            max = embedded.PriceMax;
        }

        return embedded with
        {
            Category = category,
            CategoryConfidence = confidence,
            Brands = brands,
            ExcludedBrands = excluded,
            NegatedTerms = negated,
            Colour = embedded.Colour ?? Known(remote.Colour, vocabulary.TryResolveColour),
            Material = embedded.Material ?? Known(remote.Material, vocabulary.TryResolveMaterial),
            Size = embedded.Size ?? (string.IsNullOrWhiteSpace(remote.Size) ? null : remote.Size.Trim().ToLowerInvariant()),
            PriceMin = min,
            PriceMax = max,
            Currency = embedded.PriceMin is null && embedded.PriceMax is null && remote.Currency is { Length: 3 } cur
                ? cur.ToUpperInvariant()
                : embedded.Currency,
            PriceSensitive = embedded.PriceSensitive || remote.PriceSensitive == true,
            Sort = embedded.Sort != IntentSort.Relevance ? embedded.Sort : remote.ParsedSort,
            Parser = IntentParsers.Remote,
        };
    }

    private delegate bool Resolver(string text, out string canonical);

    private static string? Known(string? value, Resolver resolve) =>
        string.IsNullOrWhiteSpace(value) ? null : resolve(value, out var canonical) ? canonical : value.Trim().ToLowerInvariant();

    /// <summary>The model's bound when the query contains that number (as typed, with or without thousands separators).</summary>
    private static double? Grounded(double? bound, string query)
    {
        if (bound is not { } value)
        {
            return null;
        }

        var digits = new string(query.Where(ch => ch != ',').ToArray());
        var plain = value.ToString("0.##", CultureInfo.InvariantCulture);
        var thousands = value >= 1000 && value % 1000 == 0 ? (value / 1000).ToString(CultureInfo.InvariantCulture) + "k" : null;
        return ContainsNumber(digits, plain) || (thousands is not null && digits.Contains(thousands, StringComparison.Ordinal)) ? value : null;
    }

    private static bool ContainsNumber(string text, string number)
    {
        var at = text.IndexOf(number, StringComparison.Ordinal);
        while (at >= 0)
        {
            var before = at == 0 || !char.IsDigit(text[at - 1]);
            var end = at + number.Length;
            var after = end >= text.Length || !char.IsDigit(text[end]);
            if (before && after)
            {
                return true;
            }

            at = text.IndexOf(number, at + 1, StringComparison.Ordinal);
        }

        return false;
    }

    private static bool Written(string value, HashSet<string> queryWords)
    {
        var words = IntentText.Words(value);
        return words.Length > 0 && words.All(queryWords.Contains);
    }

    /// <summary>A brand counts as written when its first word is ("startech" for "StarTech.com") or its words joined are.</summary>
    private static bool BrandWritten(string value, HashSet<string> queryWords)
    {
        var words = IntentText.Words(value);
        return words.Length > 0 && (queryWords.Contains(words[0]) || queryWords.Contains(string.Concat(words)));
    }

    private static void AddDistinct(List<string> into, string value)
    {
        if (!into.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            into.Add(value);
        }
    }
}

using Recommender.Contracts.Ranking.V1;
using Recommender.Ranking.Intent;
using VectorFilter = Recommender.Contracts.Vector.V1.Filter;
using VectorCondition = Recommender.Contracts.Vector.V1.Condition;
using KeywordMatch = Recommender.Contracts.Vector.V1.KeywordMatch;
using NumericRange = Recommender.Contracts.Vector.V1.NumericRange;

namespace Recommender.Ranking.Pipeline;

/// <summary>Turns hard constraints (explicit filters and those parsed from the query) into a vector-store filter.</summary>
public static class SearchFilterBuilder
{
    /// <summary>
    /// Explicit filters AND the intent's hard constraints: price bounds, excluded brands (every spelling the catalog
    /// holds), and the mentioned brands when the query required them ("only hp"). Negated words that are not known
    /// brands are also excluded as brands (harmless when no brand is spelled so, and it keeps "not logitech" working
    /// before the tenant's vocabulary is learned); the pipeline drops candidates whose text mentions them.
    /// </summary>
    public static VectorFilter Build(SearchFilters? filters, ShoppingIntent? intent, CatalogVocabulary? vocabulary = null)
    {
        var filter = new VectorFilter();
        double? min = Max(filters is { HasPriceMin: true } ? filters.PriceMin : null, intent?.PriceMin);
        double? max = Min(filters is { HasPriceMax: true } ? filters.PriceMax : null, intent?.PriceMax);
        if (min is not null || max is not null)
        {
            var range = new NumericRange { Field = "price" };
            if (min is { } lo)
            {
                range.Gte = lo;
            }

            if (max is { } hi)
            {
                range.Lte = hi;
            }

            filter.Must.Add(new VectorCondition { Range = range });
        }

        if (filters is not null)
        {
            AddKeyword(filter.Must, "brand", filters.Brands);
            AddKeyword(filter.Must, "category", filters.Categories);
            AddKeyword(filter.MustNot, "brand", filters.ExcludeBrands);
            if (filters.InStockOnly)
            {
                AddKeyword(filter.Must, "in_stock", ["true"]);
            }
        }

        if (intent is not null)
        {
            var spell = vocabulary is null ? (Func<string, IEnumerable<string>>)(b => [b]) : vocabulary.BrandSpellings;
            AddKeyword(filter.MustNot, "brand", intent.ExcludedBrands.SelectMany(b => spell(b).Append(b)).Concat(intent.NegatedTerms));
            if (intent.BrandsRequired)
            {
                AddKeyword(filter.Must, "brand", intent.Brands.SelectMany(b => spell(b).Append(b)));
            }
        }

        return filter;
    }

    private static void AddKeyword(ICollection<VectorCondition> into, string field, IEnumerable<string> values)
    {
        var match = new KeywordMatch { Field = field };
        match.Any.Add(values.Where(v => !string.IsNullOrWhiteSpace(v)).Distinct(StringComparer.OrdinalIgnoreCase));
        if (match.Any.Count > 0)
        {
            into.Add(new VectorCondition { Keyword = match });
        }
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static double? Min(double? a, double? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}

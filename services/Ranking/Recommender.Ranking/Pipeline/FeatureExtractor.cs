using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Pipeline;

/// <summary>Computes each candidate's features, normalised to [0, 1] within the candidate set.</summary>
public sealed class FeatureExtractor(IEngagementSignals engagement)
{
    public void Extract(SearchContext context, IReadOnlyList<Candidate> candidates)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        var tenant = context.Tenant;
        var queryTokens = context.QueryTokens;
        var intent = context.Intent;
        var affinity = engagement.Affinity(tenant, context.UserId, context.SessionId);

        var maxFused = candidates.Max(c => c.Fused);
        var maxSparse = candidates.Max(c => c.Sparse);
        var popular = new double[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var signals = engagement.Pin(tenant, candidates[i].Pin.Id);
            popular[i] = Math.Log(1 + signals.Popularity);
            candidates[i].Features[RankingFeature.Ctr] = signals.Ctr;
        }

        var maxPopular = popular.Max();
        var distinctQuery = queryTokens.Distinct(StringComparer.Ordinal).ToArray();
        var soft = intent is null ? null : new SoftSlots(intent, candidates);
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            var titleTokens = TextTokenizer.Tokenize(c.Pin.Title).ToHashSet(StringComparer.Ordinal);
            c.Features[RankingFeature.Fused] = maxFused > 0 ? c.Fused / maxFused : 0;
            c.Features[RankingFeature.Semantic] = Math.Max(0, c.Dense);
            c.Features[RankingFeature.Lexical] = maxSparse > 0 ? c.Sparse / maxSparse : 0;
            c.Features[RankingFeature.TitleCoverage] = Coverage(distinctQuery, titleTokens);
            c.Features[RankingFeature.Popularity] = maxPopular > 0 ? popular[i] / maxPopular : 0;
            soft?.Extract(c, titleTokens);
            if (affinity is not null)
            {
                c.Features[RankingFeature.UserBrandAffinity] = affinity.Brand(c.Pin.Brand);
                c.Features[RankingFeature.UserCategoryAffinity] = affinity.Category(c.Pin.CategoryPath);
                c.Features[RankingFeature.UserPriceAffinity] = affinity.PriceBand(c.Pin.Price);
            }
        }
    }

    private static double Coverage(string[] queryTokens, HashSet<string> titleTokens) =>
        queryTokens.Length == 0 ? 0 : queryTokens.Count(titleTokens.Contains) / (double)queryTokens.Length;

    /// <summary>The intent's soft slots, prepared once per search.</summary>
    private sealed class SoftSlots
    {
        private readonly HashSet<string> _brandKeys;
        private readonly string? _category;
        private readonly string[] _categoryWords;
        private readonly string[] _colourWords;
        private readonly double _minPrice;
        private readonly double _maxPrice;
        private readonly bool _priceSensitive;

        public SoftSlots(ShoppingIntent intent, IReadOnlyList<Candidate> candidates)
        {
            _brandKeys = intent.Brands.Select(BrandKey).ToHashSet(StringComparer.Ordinal);
            _category = intent.Category;
            _categoryWords = intent.Category is null ? [] : TextTokenizer.Tokenize(intent.Category).ToArray();
            _colourWords = intent.Colour is null ? [] : TextTokenizer.Tokenize(intent.Colour).ToArray();
            _priceSensitive = intent.PriceSensitive || intent.Sort == IntentSort.Cheapest;
            var prices = candidates.Where(c => c.Pin.Price is not null).Select(c => c.Pin.Price!.Value).ToList();
            _minPrice = prices.Count > 0 ? prices.Min() : 0;
            _maxPrice = prices.Count > 0 ? prices.Max() : 0;
        }

        public void Extract(Candidate c, HashSet<string> titleTokens)
        {
            var pin = c.Pin;
            c.Features[RankingFeature.BrandMatch] = _brandKeys.Count > 0 && _brandKeys.Contains(BrandKey(pin.Brand)) ? 1 : 0;
            if (_category is not null)
            {
                c.Features[RankingFeature.CategoryMatch] = pin.CategoryPath.Contains(_category, StringComparer.OrdinalIgnoreCase)
                    ? 1
                    : _categoryWords.Length == 0 ? 0 : 0.5 * _categoryWords.Count(titleTokens.Contains) / _categoryWords.Length;
            }

            if (_colourWords.Length > 0)
            {
                var colourTokens = TextTokenizer.Tokenize(pin.Colour);
                c.Features[RankingFeature.ColourMatch] =
                    _colourWords.All(w => colourTokens.Contains(w, StringComparer.Ordinal) || titleTokens.Contains(w)) ? 1 : 0;
            }

            if (_priceSensitive && pin.Price is { } price && _maxPrice > _minPrice)
            {
                c.Features[RankingFeature.LowPrice] = 1 - ((price - _minPrice) / (_maxPrice - _minPrice));
            }
        }

        private static string BrandKey(string brand) => string.Join(' ', IntentText.Words(brand));
    }
}

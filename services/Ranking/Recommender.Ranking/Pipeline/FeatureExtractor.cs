using System.Buffers;
using System.Collections.Concurrent;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline.QueryLog;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// Computes each candidate's <see cref="RankingFeature"/> vector. The same code runs online (every ranked list) and
/// offline (the <c>train</c> command), so training and serving see identical features. A pin's text is tokenised
/// once: kept on the candidate's <see cref="RetrievedPin"/> when search retrieved it (no lookup per candidate), else
/// cached by (tenant, id, version); the query is prepared once per request; the per-candidate work
/// compares term ids in small arrays and allocates nothing. The query-log features come from the
/// <see cref="QueryLogRegistry"/>'s expansion (none without one).
/// </summary>
public sealed class FeatureExtractor(IEngagementSignals engagement, QueryLogRegistry? queryLog = null)
{
    private const int MaxCachedPins = 250_000;
    private const double K1 = 1.2;
    private const double B = 0.75;
    private readonly ConcurrentDictionary<PinKey, PinTerms> _pins = new();

    public void Extract(SearchContext context, IReadOnlyList<Candidate> candidates)
    {
        var n = candidates.Count;
        if (n == 0)
        {
            return;
        }

        var tenant = context.Tenant;
        var intent = context.Intent;
        var affinity = engagement.Affinity(tenant, context.UserId, context.SessionId);
        var pins = engagement.Pins(tenant);
        var query = new QueryTerms(context.QueryTokens);
        var terms = new PinTerms[n];
        var popular = new double[n];
        double maxFused = 0, maxSparse = 0, maxPopular = 0, maxDense = double.NegativeInfinity, titleLengths = 0;
        var titleDf = new int[query.Ids.Length];
        for (var i = 0; i < n; i++)
        {
            var c = candidates[i];
            var signals = pins.Of(c.Pin.Id);
            popular[i] = Math.Log(1 + signals.Popularity);
            c.Features[RankingFeature.Ctr] = signals.Ctr;
            maxPopular = Math.Max(maxPopular, popular[i]);
            maxFused = Math.Max(maxFused, c.Fused);
            maxSparse = Math.Max(maxSparse, c.Sparse);
            maxDense = Math.Max(maxDense, c.Dense);
            var t = terms[i] = Terms(c);
            titleLengths += t.Title.Length;
            for (var q = 0; q < titleDf.Length; q++)
            {
                if (Has(t.TitleSorted, query.Ids[q]))
                {
                    titleDf[q]++;
                }
            }
        }

        var idf = new double[titleDf.Length];
        for (var q = 0; q < idf.Length; q++)
        {
            idf[q] = Math.Log(1 + ((n - titleDf[q] + 0.5) / (titleDf[q] + 0.5)));
        }

        var avgTitle = Math.Max(1, titleLengths / n);
        var soft = intent is null ? null : new SoftSlots(intent, candidates);
        var semanticRank = RankOf(candidates, c => c.Dense);
        var keywordRank = RankOf(candidates, c => c.Sparse);
        double maxBm25 = 0;
        for (var i = 0; i < n; i++)
        {
            var c = candidates[i];
            var t = terms[i];
            var f = c.Features.Values;
            f[RankingFeature.Fused] = maxFused > 0 ? c.Fused / maxFused : 0;
            f[RankingFeature.Semantic] = Math.Max(0, c.Dense);
            f[RankingFeature.Lexical] = maxSparse > 0 ? c.Sparse / maxSparse : 0;
            f[RankingFeature.Popularity] = maxPopular > 0 ? popular[i] / maxPopular : 0;
            soft?.Extract(c, t);
            if (affinity is not null)
            {
                f[RankingFeature.UserBrandAffinity] = affinity.Brand(c.Pin.Brand);
                f[RankingFeature.UserCategoryAffinity] = affinity.Category(c.Pin.CategoryPath);
                f[RankingFeature.UserPriceAffinity] = affinity.PriceBand(c.Pin.Price);
            }

            var bm25 = QueryFeatures(query, t, idf, avgTitle, f);
            maxBm25 = Math.Max(maxBm25, bm25);
            f[RankingFeature.TitleBm25] = bm25;
            f[RankingFeature.SemanticRank] = 1 - (semanticRank[i] / (double)n);
            f[RankingFeature.KeywordRank] = c.Sparse > 0 ? 1 - (keywordRank[i] / (double)n) : 0;
            f[RankingFeature.SemanticGap] = c.Dense - maxDense;
        }

        for (var i = 0; i < n; i++)
        {
            var f = candidates[i].Features.Values;
            f[RankingFeature.TitleBm25] = maxBm25 > 0 ? f[RankingFeature.TitleBm25] / maxBm25 : 0;
        }

        PricePercentiles(candidates);
        Freshness(candidates);
        queryLog?.Current.Extract(context.QueryTokens, candidates);
    }

    /// <summary>The query-against-pin features; returns the raw title BM25.</summary>
    private static double QueryFeatures(QueryTerms query, PinTerms t, double[] idf, double avgTitle, Span<double> f)
    {
        var ids = query.Ids;
        f[RankingFeature.QueryLength] = Math.Min(ids.Length, 10) / 10.0;
        f[RankingFeature.TitleLength] = Math.Min(t.Title.Length, 40) / 40.0;
        if (ids.Length == 0)
        {
            f[RankingFeature.NumberCoverage] = -1;
            return 0;
        }

        int inTitle = 0, inText = 0, fuzzy = 0;
        double bm25 = 0;
        var norm = K1 * (1 - B + (B * t.Title.Length / avgTitle));
        for (var q = 0; q < ids.Length; q++)
        {
            var id = ids[q];
            if (Has(t.TitleSorted, id))
            {
                inTitle++;
                fuzzy++;
                var tf = 0;
                foreach (var term in t.Title)
                {
                    tf += term == id ? 1 : 0;
                }

                bm25 += idf[q] * tf * (K1 + 1) / (tf + norm);
            }
            else if (FuzzyIn(query.Words[q], t.TitleWords))
            {
                fuzzy++;
            }

            if (Has(t.TextSorted, id))
            {
                inText++;
            }
        }

        f[RankingFeature.TitleCoverage] = inTitle / (double)ids.Length;
        f[RankingFeature.TextCoverage] = inText / (double)ids.Length;
        f[RankingFeature.TitleFuzzyCoverage] = fuzzy / (double)ids.Length;

        var order = query.Ordered;
        f[RankingFeature.HeadTermInTitle] = Has(t.TitleSorted, order[^1]) ? 1 : 0;
        if (order.Length >= 2)
        {
            var pairs = 0;
            for (var q = 0; q + 1 < order.Length; q++)
            {
                pairs += AdjacentIn(t.Title, order[q], order[q + 1]) ? 1 : 0;
            }

            f[RankingFeature.TitleBigrams] = pairs / (double)(order.Length - 1);
            f[RankingFeature.TitlePhrase] = t.Title.AsSpan().IndexOf(order) >= 0 ? 1 : 0;
        }
        else
        {
            f[RankingFeature.TitleBigrams] = 0;
            f[RankingFeature.TitlePhrase] = 0;
        }

        if (query.Numbers.Length == 0)
        {
            f[RankingFeature.NumberCoverage] = -1;
        }
        else
        {
            var numbers = 0;
            foreach (var number in query.Numbers)
            {
                numbers += Array.IndexOf(t.TitleWords, number) >= 0 ? 1 : 0;
            }

            f[RankingFeature.NumberCoverage] = numbers / (double)query.Numbers.Length;
        }

        f[RankingFeature.BrandInQuery] = t.BrandTerms.Length > 0
            ? (AllIn(t.BrandTerms, ids) ? 1 : 0)
            : (t.Title.Length > 0 && Array.IndexOf(ids, t.Title[0]) >= 0 ? 1 : 0);
        return bm25;
    }

    private static bool AdjacentIn(int[] title, int a, int b)
    {
        for (var j = 0; j + 1 < title.Length; j++)
        {
            if (title[j] == a && title[j + 1] == b)
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllIn(int[] needles, int[] haystack)
    {
        foreach (var needle in needles)
        {
            if (Array.IndexOf(haystack, needle) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the ascending, distinct <paramref name="sorted"/> holds <paramref name="value"/> (what
    /// <c>Array.BinarySearch(sorted, value) &gt;= 0</c> answers, without its generic comparer call).</summary>
    private static bool Has(int[] sorted, int value)
    {
        int low = 0, high = sorted.Length - 1;
        while (low <= high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            var at = sorted[mid];
            if (at == value)
            {
                return true;
            }

            if (at < value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return false;
    }

    /// <summary>A shared prefix of 4+ characters, or one word a 3+ character prefix of the other.</summary>
    private static bool FuzzyIn(string word, string[] titleWords)
    {
        if (word.Length < 3)
        {
            return false;
        }

        foreach (var t in titleWords)
        {
            // Either test needs 3+ shared characters: a shorter title word or another first letter cannot pass.
            if (t.Length < 3 || t[0] != word[0])
            {
                continue;
            }

            var common = word.AsSpan().CommonPrefixLength(t);
            if (common >= 4 || (common >= 3 && common == Math.Min(word.Length, t.Length)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Each candidate's 0-based rank by the value, highest first (ties keep candidate order).</summary>
    private static int[] RankOf(IReadOnlyList<Candidate> candidates, Func<Candidate, float> value)
    {
        var n = candidates.Count;
        var order = new int[n];
        var keys = new float[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = -value(candidates[i]);
        }

        Array.Sort(keys, order);
        var rank = new int[n];
        for (var r = 0; r < n; r++)
        {
            rank[order[r]] = r;
        }

        return rank;
    }

    /// <summary>Sorts the priced candidates by (leaf category, price) and spreads each leaf's over [0, 1]. The sort
    /// compares precomputed integers: each leaf's rank among the set's distinct leaves in ordinal order, and the
    /// price, so every comparison has the sign the string-and-price comparison had and the (unstable) sort places
    /// equal prices exactly as before.</summary>
    private static void PricePercentiles(IReadOnlyList<Candidate> candidates)
    {
        var n = candidates.Count;
        var priced = new List<int>(n);
        var leafRank = ArrayPool<int>.Shared.Rent(n);
        var prices = ArrayPool<double>.Shared.Rent(n);
        Dictionary<string, int>? leaves = null;
        string? onlyLeaf = null;
        for (var i = 0; i < n; i++)
        {
            var pin = candidates[i].Pin;
            candidates[i].Features[RankingFeature.PricePercentile] = 0.5;
            if (pin.Price is not { } price)
            {
                continue;
            }

            priced.Add(i);
            prices[i] = price;
            leafRank[i] = 0;
            var leaf = Leaf(pin);
            onlyLeaf ??= leaf;
            if (leaves is null && string.Equals(leaf, onlyLeaf, StringComparison.Ordinal))
            {
                continue; // rank 0 while every leaf so far is the first one
            }

            leaves ??= new Dictionary<string, int>(StringComparer.Ordinal) { [onlyLeaf] = 0 };
            if (!leaves.TryGetValue(leaf, out var id))
            {
                leaves[leaf] = id = leaves.Count;
            }

            leafRank[i] = id;
        }

        if (leaves is not null)
        {
            // Leaf ids in first-seen order -> ranks in ordinal order.
            var names = new string[leaves.Count];
            foreach (var (name, id) in leaves)
            {
                names[id] = name;
            }

            var byName = new int[names.Length];
            for (var k = 0; k < byName.Length; k++)
            {
                byName[k] = k;
            }

            Array.Sort(byName, (a, b) => string.CompareOrdinal(names[a], names[b]));
            var rankOfId = new int[names.Length];
            for (var r = 0; r < byName.Length; r++)
            {
                rankOfId[byName[r]] = r;
            }

            foreach (var i in priced)
            {
                leafRank[i] = rankOfId[leafRank[i]];
            }
        }

        priced.Sort((a, b) => leafRank[a] != leafRank[b] ? (leafRank[a] < leafRank[b] ? -1 : 1) : prices[a].CompareTo(prices[b]));
        for (var start = 0; start < priced.Count;)
        {
            var leaf = leafRank[priced[start]];
            var end = start + 1;
            while (end < priced.Count && leafRank[priced[end]] == leaf)
            {
                end++;
            }

            for (var j = start; end - start > 1 && j < end; j++)
            {
                candidates[priced[j]].Features[RankingFeature.PricePercentile] = (j - start) / (double)(end - start - 1);
            }

            start = end;
        }

        ArrayPool<int>.Shared.Return(leafRank);
        ArrayPool<double>.Shared.Return(prices);
    }

    private static string Leaf(PinData pin) => pin.CategoryPath.Count > 0 ? pin.CategoryPath[^1] : "";

    private static void Freshness(IReadOnlyList<Candidate> candidates)
    {
        DateTimeOffset? newest = null;
        foreach (var c in candidates)
        {
            if ((c.Pin.UpdatedAt ?? c.Pin.CreatedAt) is { } at && (newest is null || at > newest))
            {
                newest = at;
            }
        }

        foreach (var c in candidates)
        {
            c.Features[RankingFeature.Freshness] = newest is { } top && (c.Pin.UpdatedAt ?? c.Pin.CreatedAt) is { } at
                ? Math.Exp(-(top - at).TotalDays / 90)
                : 0;
        }
    }

    /// <summary>The candidate's pin terms: kept on its retrieved pin when it has one (no lookup), else cached by
    /// (tenant, id, version).</summary>
    private PinTerms Terms(Candidate candidate) =>
        candidate.Retrieved is { } retrieved ? retrieved.Terms ??= PinTerms.Of(candidate.Pin) : Terms(candidate.Pin);

    private PinTerms Terms(PinData pin)
    {
        var key = new PinKey(pin.Tenant, pin.Id, pin.Version);
        if (_pins.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (_pins.Count >= MaxCachedPins)
        {
            _pins.Clear();
        }

        var terms = PinTerms.Of(pin);
        _pins[key] = terms;
        return terms;
    }

    private static int[] Ids(IEnumerable<string> tokens) => tokens.Select(SparseEncoder.TermId).ToArray();

    private static int[] SortedDistinct(IEnumerable<int> ids) => ids.Distinct().Order().ToArray();

    private readonly record struct PinKey(string Tenant, string Id, long Version);

    /// <summary>A pin's text as term ids (Porter-stemmed, as the sparse vectors), computed once per pin version.</summary>
    internal sealed class PinTerms
    {
        public required int[] Title { get; init; }

        public required string[] TitleWords { get; init; }

        public required int[] TitleSorted { get; init; }

        public required int[] TextSorted { get; init; }

        public required int[] BrandTerms { get; init; }

        public required string BrandKey { get; init; }

        public required int[] ColourTerms { get; init; }

        public static PinTerms Of(PinData pin)
        {
            var titleWords = TextTokenizer.Tokenize(pin.Title).ToArray();
            var title = Ids(titleWords);
            var brand = Ids(TextTokenizer.Tokenize(pin.Brand));
            var colour = Ids(TextTokenizer.Tokenize(pin.Colour));
            var other = TextTokenizer.Tokenize(string.Join(' ', pin.CategoryPath))
                .Concat(TextTokenizer.Tokenize(string.Join(' ', pin.Attributes.Values)))
                .Concat(TextTokenizer.Tokenize(pin.Description));
            return new PinTerms
            {
                Title = title,
                TitleWords = titleWords,
                TitleSorted = SortedDistinct(title),
                TextSorted = SortedDistinct(title.Concat(brand).Concat(colour).Concat(Ids(other))),
                BrandTerms = brand.Distinct().ToArray(),
                BrandKey = SoftSlots.BrandKey(pin.Brand),
                ColourTerms = SortedDistinct(colour),
            };
        }
    }

    /// <summary>The query's terms, prepared once per request.</summary>
    private sealed class QueryTerms
    {
        public QueryTerms(IReadOnlyList<string> tokens)
        {
            Words = tokens.Distinct(StringComparer.Ordinal).ToArray();
            Ids = Words.Select(SparseEncoder.TermId).ToArray();
            Ordered = tokens.Select(SparseEncoder.TermId).ToArray();
            Numbers = Words.Where(w => w.Any(char.IsAsciiDigit)).ToArray();
        }

        /// <summary>Distinct tokens.</summary>
        public string[] Words { get; }

        /// <summary>Term ids of <see cref="Words"/> (parallel).</summary>
        public int[] Ids { get; }

        /// <summary>Term ids in query order (with repeats).</summary>
        public int[] Ordered { get; }

        public string[] Numbers { get; }
    }

    /// <summary>The intent's soft slots, prepared once per search.</summary>
    private sealed class SoftSlots
    {
        private readonly HashSet<string> _brandKeys;
        private readonly string? _category;
        private readonly int[] _categoryTerms;
        private readonly int[] _colourTerms;
        private readonly int[] _sizeTerms;
        private readonly int[] _materialTerms;
        private readonly double _minPrice;
        private readonly double _maxPrice;
        private readonly double? _lowerBound;
        private readonly double? _upperBound;
        private readonly bool _priceSensitive;

        public SoftSlots(ShoppingIntent intent, IReadOnlyList<Candidate> candidates)
        {
            _brandKeys = intent.Brands.Select(BrandKey).ToHashSet(StringComparer.Ordinal);
            _category = intent.Category;
            _categoryTerms = intent.Category is null ? [] : Ids(TextTokenizer.Tokenize(intent.Category));
            _colourTerms = intent.Colour is null ? [] : Ids(TextTokenizer.Tokenize(intent.Colour));
            _sizeTerms = intent.Size is null ? [] : Ids(TextTokenizer.Tokenize(intent.Size));
            _materialTerms = intent.Material is null ? [] : Ids(TextTokenizer.Tokenize(intent.Material));
            _lowerBound = intent.PriceMin;
            _upperBound = intent.PriceMax;
            _priceSensitive = intent.PriceSensitive || intent.Sort == IntentSort.Cheapest;
            _minPrice = double.MaxValue;
            _maxPrice = double.MinValue;
            foreach (var c in candidates)
            {
                if (c.Pin.Price is { } price)
                {
                    _minPrice = Math.Min(_minPrice, price);
                    _maxPrice = Math.Max(_maxPrice, price);
                }
            }
        }

        public void Extract(Candidate c, PinTerms t)
        {
            var pin = c.Pin;
            var f = c.Features.Values;
            f[RankingFeature.BrandMatch] = _brandKeys.Count > 0 && _brandKeys.Contains(t.BrandKey) ? 1 : 0;
            if (_category is not null)
            {
                f[RankingFeature.CategoryMatch] = InPath(pin.CategoryPath, _category)
                    ? 1
                    : _categoryTerms.Length == 0 ? 0 : 0.5 * CountIn(_categoryTerms, t.TitleSorted) / _categoryTerms.Length;
            }

            if (_colourTerms.Length > 0)
            {
                var all = true;
                foreach (var w in _colourTerms)
                {
                    all &= Has(t.ColourTerms, w) || Has(t.TitleSorted, w);
                }

                f[RankingFeature.ColourMatch] = all ? 1 : 0;
            }

            f[RankingFeature.SizeMatch] = _sizeTerms.Length > 0 && CountIn(_sizeTerms, t.TextSorted) == _sizeTerms.Length ? 1 : 0;
            f[RankingFeature.MaterialMatch] = _materialTerms.Length > 0 && CountIn(_materialTerms, t.TextSorted) == _materialTerms.Length ? 1 : 0;
            if (_priceSensitive && pin.Price is { } price && _maxPrice > _minPrice)
            {
                f[RankingFeature.LowPrice] = 1 - ((price - _minPrice) / (_maxPrice - _minPrice));
            }

            f[RankingFeature.PriceFit] = pin.Price is { } p ? PriceFit(p) : 0;
        }

        private double PriceFit(double price)
        {
            if (_lowerBound is null && _upperBound is null)
            {
                return 0;
            }

            if (_lowerBound is { } low && price < low)
            {
                return low > 0 ? Math.Max(0, 1 - ((low - price) / low)) : 0;
            }

            if (_upperBound is { } high && price > high)
            {
                return high > 0 ? Math.Max(0, 1 - ((price - high) / high)) : 0;
            }

            return 1;
        }

        /// <summary>Whether the path has the category, ignoring case (an indexed loop: no enumerator per candidate).</summary>
        private static bool InPath(IReadOnlyList<string> path, string category)
        {
            for (var i = 0; i < path.Count; i++)
            {
                if (string.Equals(path[i], category, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static int CountIn(int[] needles, int[] sorted)
        {
            var count = 0;
            foreach (var needle in needles)
            {
                count += Has(sorted, needle) ? 1 : 0;
            }

            return count;
        }

        public static string BrandKey(string brand) => string.Join(' ', IntentText.Words(brand));
    }
}

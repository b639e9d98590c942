namespace Recommender.Ranking.Pipeline;

/// <summary>The ranker's features, their names as explanations show them, and the default (label-free) weights.</summary>
public static class RankingFeature
{
    public const int Fused = 0;
    public const int Semantic = 1;
    public const int Lexical = 2;
    public const int TitleCoverage = 3;
    public const int Popularity = 4;

    /// <summary>1 when the pin's brand is one the query mentions ("hp toner").</summary>
    public const int BrandMatch = 5;

    /// <summary>1 when the pin's category path holds the intent's category; half the share of the category's words
    /// in the title otherwise (catalogs without categories).</summary>
    public const int CategoryMatch = 6;

    /// <summary>1 when the pin's colour (or title) names the intent's colour.</summary>
    public const int ColourMatch = 7;

    /// <summary>For price-sensitive queries ("cheap", "$$", "cheapest"): 1 for the cheapest candidate, 0 for the
    /// dearest; 0 for every pin otherwise.</summary>
    public const int LowPrice = 8;

    /// <summary>The pin's smoothed, decayed click-through rate.</summary>
    public const int Ctr = 9;

    /// <summary>How much this user/session engages with the pin's brand.</summary>
    public const int UserBrandAffinity = 10;

    /// <summary>How much this user/session engages with the pin's category.</summary>
    public const int UserCategoryAffinity = 11;

    /// <summary>How well the pin's price fits the price band this user/session buys in.</summary>
    public const int UserPriceAffinity = 12;

    /// <summary>Distinct query terms, min(n, 10) / 10 (query-level: lets trees treat short and long queries apart).</summary>
    public const int QueryLength = 13;

    /// <summary>Title terms, min(n, 40) / 40.</summary>
    public const int TitleLength = 14;

    /// <summary>Share of the query's stemmed terms found anywhere in the pin's text (title, brand, colour,
    /// categories, attributes, description).</summary>
    public const int TextCoverage = 15;

    /// <summary>BM25 of the query over the title alone (k1 1.2, b 0.75, IDF over the candidate set), divided by the
    /// set's maximum.</summary>
    public const int TitleBm25 = 16;

    /// <summary>Share of the query's adjacent term pairs that are adjacent in the title.</summary>
    public const int TitleBigrams = 17;

    /// <summary>1 when the query's last term (usually the product type: "cordless drill") is in the title.</summary>
    public const int HeadTermInTitle = 18;

    /// <summary>Share of the query's words matched in the title exactly or fuzzily (a shared prefix of 4+
    /// letters, or one is a 3+ letter prefix of the other): catches typos and truncations.</summary>
    public const int TitleFuzzyCoverage = 19;

    /// <summary>Share of the query's numeric tokens ("3/4", "36", "2x4") found in the title; -1 when it has none.</summary>
    public const int NumberCoverage = 20;

    /// <summary>1 when the pin's text names every word of the intent's size.</summary>
    public const int SizeMatch = 21;

    /// <summary>1 when the pin's text names every word of the intent's material.</summary>
    public const int MaterialMatch = 22;

    /// <summary>Price against the intent's bounds: 1 inside, falling linearly to 0 at twice the distance; 0 without
    /// bounds or price.</summary>
    public const int PriceFit = 23;

    /// <summary>The pin's price percentile among the candidates of its (leaf) category; 0.5 without a price.</summary>
    public const int PricePercentile = 24;

    /// <summary>exp(-age / 90 days), age from the newest candidate's created/updated date; 0 without dates.</summary>
    public const int Freshness = 25;

    /// <summary>1 - rank / n of the candidate's semantic similarity within the set.</summary>
    public const int SemanticRank = 26;

    /// <summary>1 - rank / n of the candidate's keyword score within the set (0 when the sparse branch missed it).</summary>
    public const int KeywordRank = 27;

    /// <summary>The candidate's semantic similarity minus the best in the set (&lt;= 0).</summary>
    public const int SemanticGap = 28;

    /// <summary>1 when the whole query (2+ terms) appears as a phrase in the title.</summary>
    public const int TitlePhrase = 29;

    /// <summary>1 when the pin's brand (or, without one, the title's first word) is in the query: a fuzzy,
    /// vocabulary-free brand match.</summary>
    public const int BrandInQuery = 30;

    /// <summary>Query-log expansion (<see cref="QueryLog.QueryLogExpansion"/>): BM25 of the query over the text of
    /// the searches that found the pin, / best in set; 0 without a query log or for a pin no search found.</summary>
    public const int QueryLogBm25 = 31;

    /// <summary>Share of the query's terms in the searches that found the pin.</summary>
    public const int QueryLogCoverage = 32;

    /// <summary>Best Jaccard overlap of the query's terms with one search that found the pin (1 = the same words).</summary>
    public const int QueryLogBestMatch = 33;

    /// <summary>How many searches found the pin: log(1 + min(n, 20)) / log(21).</summary>
    public const int QueryLogQueries = 34;

    public const int Count = 35;

    public static readonly string[] Names =
    [
        "retrieval_rank", "semantic_similarity", "keyword_match", "title_coverage", "popularity",
        "brand_match", "category_match", "colour_match", "low_price",
        "ctr", "your_brand_affinity", "your_category_affinity", "your_price_band",
        "query_length", "title_length", "text_coverage", "title_bm25", "title_bigrams", "head_term_in_title",
        "title_fuzzy_coverage", "number_coverage", "size_match", "material_match", "price_fit", "price_percentile",
        "freshness", "semantic_rank", "keyword_rank", "semantic_gap", "title_phrase", "brand_in_query",
        "query_log_bm25", "query_log_coverage", "query_log_best_match", "query_log_queries",
    ];

    /// <summary>Weights of the default model: a catalog ranks sensibly before any judgments or engagement exist.
    /// Features 13 and later weigh 0 here (the default ranks as before they existed); trained models use them.
    /// The intent features are worth less than retrieval together, so a soft slot re-orders good matches but cannot
    /// lift an unrelated pin above them. The query-log features (31-34) weigh 0 too: a query log ships only with a
    /// trained ranker, and hand weights on them measured worse (HD val NDCG@10 0.4061 -> 0.3576 with 0.2/0.3/0.3).</summary>
    public static readonly double[] DefaultWeights = [1.0, 0.6, 0.4, 0.8, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3, 0.5, 0.3, 0.1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

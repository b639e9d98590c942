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

    public const int Count = 13;

    public static readonly string[] Names =
    [
        "retrieval_rank", "semantic_similarity", "keyword_match", "title_coverage", "popularity",
        "brand_match", "category_match", "colour_match", "low_price",
        "ctr", "your_brand_affinity", "your_category_affinity", "your_price_band",
    ];

    /// <summary>Weights of the default model: a catalog ranks sensibly before any judgments or engagement exist.
    /// The intent features are worth less than retrieval together, so a soft slot re-orders good matches but cannot
    /// lift an unrelated pin above them.</summary>
    public static readonly double[] DefaultWeights = [1.0, 0.6, 0.4, 0.8, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3, 0.5, 0.3, 0.1];
}

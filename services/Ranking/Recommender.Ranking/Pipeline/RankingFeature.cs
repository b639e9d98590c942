namespace Recommender.Ranking.Pipeline;

/// <summary>The ranker's features, their names as explanations show them, and the default (label-free) weights.</summary>
public static class RankingFeature
{
    public const int Fused = 0;
    public const int Semantic = 1;
    public const int Lexical = 2;
    public const int TitleCoverage = 3;
    public const int Popularity = 4;
    public const int Count = 5;

    public static readonly string[] Names = ["retrieval_rank", "semantic_similarity", "keyword_match", "title_coverage", "popularity"];

    /// <summary>Weights of the default model: a catalog ranks sensibly before any judgments or engagement exist.</summary>
    public static readonly double[] DefaultWeights = [1.0, 0.6, 0.4, 0.8, 0.3];
}

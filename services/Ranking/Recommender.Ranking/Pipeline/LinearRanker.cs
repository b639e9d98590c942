namespace Recommender.Ranking.Pipeline;

/// <summary>The default model: a weighted sum of the features that needs no labels, so a fresh catalog ranks
/// sensibly before any judgments or engagement exist.</summary>
public sealed class LinearRanker : IRankerModel
{
    public string Version => "default-linear-v1";

    public double Score(ReadOnlySpan<double> features)
    {
        double score = 0;
        for (var f = 0; f < RankingFeature.Count; f++)
        {
            score += RankingFeature.DefaultWeights[f] * features[f];
        }

        return score;
    }

    public void Explain(ReadOnlySpan<double> features, Span<double> contributions)
    {
        for (var f = 0; f < RankingFeature.Count; f++)
        {
            contributions[f] = RankingFeature.DefaultWeights[f] * features[f];
        }
    }
}

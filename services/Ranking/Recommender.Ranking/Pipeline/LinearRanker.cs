namespace Recommender.Ranking.Pipeline;

/// <summary>Scores candidates as a weighted sum of their features and keeps each feature's contribution for the
/// explanation. The default weights need no labels; a trained model replaces them.</summary>
public sealed class LinearRanker
{
    public string Version => "default-linear-v1";

    public void Score(IReadOnlyList<Candidate> candidates)
    {
        foreach (var c in candidates)
        {
            double score = 0;
            for (var f = 0; f < RankingFeature.Count; f++)
            {
                score += RankingFeature.DefaultWeights[f] * c.Features[f];
            }

            c.Score = score;
        }
    }

    /// <summary>The top contributions to a candidate's score, largest first.</summary>
    public IEnumerable<(string Feature, double Value, double Contribution)> Explain(Candidate candidate, int top = 3) =>
        Enumerable.Range(0, RankingFeature.Count)
            .Select(f => (RankingFeature.Names[f], candidate.Features[f], RankingFeature.DefaultWeights[f] * candidate.Features[f]))
            .Where(x => x.Item3 > 0)
            .OrderByDescending(x => x.Item3)
            .Take(top);
}

using Recommender.Embeddings;
using Recommender.Ranking.Engagement;

namespace Recommender.Ranking.Pipeline;

/// <summary>Computes each candidate's features, normalised to [0, 1] within the candidate set.</summary>
public sealed class FeatureExtractor(PopularityCounter popularity)
{
    public void Extract(string tenant, IReadOnlyList<string> queryTokens, IReadOnlyList<Candidate> candidates)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        var maxFused = candidates.Max(c => c.Fused);
        var maxSparse = candidates.Max(c => c.Sparse);
        var popular = new double[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            popular[i] = Math.Log(1 + popularity.Score(tenant, candidates[i].Pin.Id));
        }

        var maxPopular = popular.Max();
        var distinctQuery = queryTokens.Distinct(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            c.Features[RankingFeature.Fused] = maxFused > 0 ? c.Fused / maxFused : 0;
            c.Features[RankingFeature.Semantic] = Math.Max(0, c.Dense);
            c.Features[RankingFeature.Lexical] = maxSparse > 0 ? c.Sparse / maxSparse : 0;
            c.Features[RankingFeature.TitleCoverage] = Coverage(distinctQuery, c.Pin.Title);
            c.Features[RankingFeature.Popularity] = maxPopular > 0 ? popular[i] / maxPopular : 0;
        }
    }

    private static double Coverage(string[] queryTokens, string title)
    {
        if (queryTokens.Length == 0)
        {
            return 0;
        }

        var titleTokens = TextTokenizer.Tokenize(title).ToHashSet(StringComparer.Ordinal);
        return queryTokens.Count(titleTokens.Contains) / (double)queryTokens.Length;
    }
}

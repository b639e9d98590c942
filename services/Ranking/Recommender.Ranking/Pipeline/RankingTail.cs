using MassTransit;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// The shared end of every ranked list (search, related pins, home feed): features -> model score -> order ->
/// the requested page, each result with its score and the features that placed it.
/// </summary>
public sealed class RankingTail(FeatureExtractor featureExtractor, RankerRegistry rankers)
{
    /// <summary>Explanations list this many features, largest contribution first.</summary>
    public const int ExplainedFeatures = 3;

    public SearchResponse Finish(SearchContext context, List<Candidate> candidates, int offset, int pageSize, string fingerprint)
    {
        var model = rankers.Current;
        featureExtractor.Extract(context, candidates);
        foreach (var c in candidates)
        {
            c.Score = model.Score(c.Features.Values);
        }

        candidates.Sort((a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Pin.Id, b.Pin.Id);
        });

        var response = new SearchResponse
        {
            QueryId = NewId.NextGuid().ToString("N"),
            TotalCandidates = candidates.Count,
            ModelVersion = model.Version,
        };
        Span<double> contributions = stackalloc double[RankingFeature.Count];
        for (var i = offset; i < Math.Min(candidates.Count, offset + pageSize); i++)
        {
            var c = candidates[i];
            var ranked = new RankedPin { Pin = c.Pin.ToProto(), Score = c.Score, Position = i + 1 };
            model.Explain(c.Features.Values, contributions);
            foreach (var f in TopContributions(contributions))
            {
                ranked.Explanation.Add(new FeatureContribution
                {
                    Feature = RankingFeature.Names[f],
                    Value = c.Features[f],
                    Contribution = contributions[f],
                });
            }

            response.Results.Add(ranked);
        }

        if (offset + pageSize < candidates.Count)
        {
            response.NextPageToken = PageToken.Create(offset + pageSize, fingerprint);
        }

        return response;
    }

    private static int[] TopContributions(ReadOnlySpan<double> contributions)
    {
        var order = new int[contributions.Length];
        for (var f = 0; f < order.Length; f++)
        {
            order[f] = f;
        }

        var values = contributions.ToArray();
        Array.Sort(values.Select(v => -v).ToArray(), order);
        return order.Where(f => values[f] > 0).Take(ExplainedFeatures).ToArray();
    }
}

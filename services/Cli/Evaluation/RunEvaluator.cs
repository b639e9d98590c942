using Recommender.Embeddings.Evaluation;

namespace Recommender.Cli.Evaluation;

/// <summary>One judged query's scores: the run's and, when a baseline ran, the baseline's (NaN when undefined).</summary>
public sealed record QueryScore(string QueryId, string Query, int Judged, int Relevant, int Returned, double Ndcg10, double Recall100, double BaselineNdcg10, double BaselineRecall100)
{
    public double NdcgDelta => Ndcg10 - BaselineNdcg10;
}

/// <summary>Means over the queries where each metric is defined (NDCG needs a positive gain, recall a label >= 2).</summary>
public sealed record Summary(int Queries, int NdcgQueries, int RecallQueries, double Ndcg10, double Recall100, double BaselineNdcg10, double BaselineRecall100, int MissingFromRun)
{
    public double NdcgRatio => BaselineNdcg10 > 0 ? Ndcg10 / BaselineNdcg10 : double.NaN;
}

/// <summary>A judged query: its text and labels (a pair judged more than once gets its mean label).</summary>
public sealed record JudgedQuery(string QueryId, string Query, IReadOnlyDictionary<string, float> Labels);

/// <summary>Scores a run against judgments with <see cref="RetrievalMetrics"/> (the project's one definition).</summary>
public static class RunEvaluator
{
    public static List<JudgedQuery> GroupJudgments(IEnumerable<JudgedPair> pairs, string? split) => pairs
        .Where(p => split is null || string.Equals(p.Split, split, StringComparison.Ordinal))
        .GroupBy(p => p.QueryId, StringComparer.Ordinal)
        .Select(g => new JudgedQuery(g.Key, g.First().Query, g
            .GroupBy(p => p.ProductId, StringComparer.Ordinal)
            .ToDictionary(x => x.Key, x => x.Average(p => p.Label), StringComparer.Ordinal)))
        .ToList();

    /// <summary>The run's ranked product ids per query, ordered by rank (ties keep file order).</summary>
    public static Dictionary<string, List<string>> GroupRun(IEnumerable<RunLine> lines) => lines
        .GroupBy(l => l.QueryId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.OrderBy(l => l.Rank).Select(l => l.ProductId).ToList(), StringComparer.Ordinal);

    public static List<QueryScore> Score(
        IReadOnlyList<JudgedQuery> queries, IReadOnlyDictionary<string, List<string>> run, Func<string, IReadOnlyList<string>>? baseline)
    {
        var scores = new List<QueryScore>(queries.Count);
        foreach (var q in queries)
        {
            var ranked = run.TryGetValue(q.QueryId, out var list) ? list : [];
            var b = baseline?.Invoke(q.Query);
            scores.Add(new QueryScore(
                q.QueryId, q.Query, q.Labels.Count, q.Labels.Count(l => l.Value >= RetrievalMetrics.RelevantLabel), ranked.Count,
                RetrievalMetrics.NdcgAt(10, ranked, q.Labels), RetrievalMetrics.RecallAt(100, ranked, q.Labels),
                b is null ? double.NaN : RetrievalMetrics.NdcgAt(10, b, q.Labels),
                b is null ? double.NaN : RetrievalMetrics.RecallAt(100, b, q.Labels)));
        }

        return scores;
    }

    public static Summary Summarize(IReadOnlyList<QueryScore> scores, int missingFromRun) => new(
        scores.Count,
        scores.Count(s => !double.IsNaN(s.Ndcg10)),
        scores.Count(s => !double.IsNaN(s.Recall100)),
        Mean(scores.Select(s => s.Ndcg10)),
        Mean(scores.Select(s => s.Recall100)),
        Mean(scores.Select(s => s.BaselineNdcg10)),
        Mean(scores.Select(s => s.BaselineRecall100)),
        missingFromRun);

    private static double Mean(IEnumerable<double> values)
    {
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (!double.IsNaN(v))
            {
                sum += v;
                n++;
            }
        }

        return n == 0 ? double.NaN : sum / n;
    }
}

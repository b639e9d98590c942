using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.QueryLog;

namespace Recommender.Cli.Training;

/// <summary>
/// Builds the query-log expansion (<see cref="QueryLogExpansion"/>) from the train split of the label files (the
/// judgment-source abstraction: judgment files, or an engagement log's searches joined with clicks and better), and
/// fills its features into retrieved rows, cross-fitted: a train query's features come from an expansion built
/// without its fold (so it never finds itself), val queries from the expansion that ships (all train pairs).
/// </summary>
public static class QueryLogTraining
{
    /// <summary>The (pin, query) pairs of the train split whose label means the search found the pin; queries whose
    /// id <paramref name="include"/> rejects are left out.</summary>
    public static IEnumerable<(string PinId, string Query)> Found(IEnumerable<JudgmentSet> sets, Func<string, bool>? include = null) =>
        sets.SelectMany(set => set.Judgments
            .Where(j => j.Split == "train" && j.Label >= set.FoundAt && (include is null || include(j.QueryId)))
            .Select(j => (j.ProductId, j.Query)));

    /// <summary>The expansion that ships: every train pair.</summary>
    public static QueryLogExpansion Served(IEnumerable<JudgmentSet> sets) => QueryLogExpansion.Build(Found(sets));

    /// <summary>Fold k's expansion: the train pairs of queries outside fold k (<see cref="TrainingPlan.Fold"/>).</summary>
    public static QueryLogExpansion[] Folds(IReadOnlyList<JudgmentSet> sets, int folds) =>
        Enumerable.Range(0, folds)
            .Select(k => QueryLogExpansion.Build(Found(sets, id => TrainingPlan.Fold(id, folds) != k)))
            .ToArray();

    /// <summary>The query tokens the service's features see (the intent's remaining text, else the normalised query),
    /// as <see cref="CandidateSearch"/> computes them.</summary>
    public static List<string> Tokens(EmbeddedIntentParser parser, string query, bool spellCorrection) =>
        TextTokenizer.Tokenize(CandidateSearch.QueryText(parser, parser.Parse(query), spellCorrection));

    /// <summary>Overwrites the query-log features of every row through the service's own
    /// <see cref="QueryLogExpansion.Extract"/>: train rows from their fold's expansion, other rows from
    /// <paramref name="served"/>.</summary>
    public static void Fill(
        IReadOnlyList<QueryCandidates> rows, IReadOnlyDictionary<string, string> queryText, IReadOnlyDictionary<string, PinData> pins,
        EmbeddedIntentParser parser, QueryLogExpansion served, QueryLogExpansion[] folds, bool spellCorrection)
    {
        Parallel.ForEach(rows, row =>
        {
            var expansion = row.Split == "train" && folds.Length > 0 ? folds[TrainingPlan.Fold(row.QueryId, folds.Length)] : served;
            var tokens = Tokens(parser, queryText[Key(row.Dataset, row.QueryId)], spellCorrection);
            var candidates = new Candidate[row.ProductIds.Length];
            for (var i = 0; i < candidates.Length; i++)
            {
                candidates[i] = new Candidate(pins[row.ProductIds[i]], 0, 0, 0);
            }

            expansion.Extract(tokens, candidates);
            for (var i = 0; i < candidates.Length; i++)
            {
                var f = candidates[i].Features.Values;
                for (var k = RankingFeature.QueryLogBm25; k <= RankingFeature.QueryLogQueries; k++)
                {
                    row.Features[i][k] = (float)f[k];
                }
            }
        });
    }

    public static string Key(string dataset, string queryId) => dataset + "\u0001" + queryId;
}

using Recommender.Embeddings;
using Recommender.Embeddings.Training;

namespace Recommender.Cli.Training;

/// <summary>One embedder to train and the queries whose candidates and features it produces.</summary>
/// <param name="Name">Fold name for progress and logs.</param>
/// <param name="EmbedderJudgments">The train judgments the embedder learns from.</param>
/// <param name="Queries">The queries retrieved with this embedder (never among those it learned from).</param>
/// <param name="Served">Whether this is the embedder that ships in <c>DIR/embedder</c> (and scores the val queries).</param>
public sealed record TrainingPass(string Name, IReadOnlyList<Judgment> EmbedderJudgments, IReadOnlyList<JudgedQuery> Queries, bool Served);

/// <summary>
/// Which embedder scores which query during <c>train</c>. The ranker must see semantic scores as honest as at serving
/// time, so a train query's features never come from an embedder that learned from that query's judgments.
/// <para>Cross-fitting (<c>folds</c> &gt; 1): train queries are split by a stable hash of their id; fold k's features
/// come from an embedder trained on the other folds; the served embedder learns from all train queries and scores the
/// val queries (which no embedder saw). So both the embedder and the ranker use every train judgment.</para>
/// <para><c>folds</c> = 1: one embedder learns from the train queries outside the ranker's share and scores the
/// ranker's share and val.</para>
/// </summary>
public static class TrainingPlan
{
    public static List<TrainingPass> Create(IReadOnlyList<JudgedQuery> queries, IReadOnlyList<Judgment> trainJudgments, int folds, double rankerShare)
    {
        var val = queries.Where(q => q.Split == "val").ToList();
        if (folds <= 1)
        {
            var embedderJudgments = trainJudgments.Where(j => !RankerTraining.ForRanker(j.QueryId, rankerShare)).ToList();
            var ranked = queries.Where(q => q.Split == "train" && RankerTraining.ForRanker(q.QueryId, rankerShare)).Concat(val).ToList();
            return [new TrainingPass("served", embedderJudgments, ranked, Served: true)];
        }

        var plan = new List<TrainingPass>(folds + 1);
        for (var k = 0; k < folds; k++)
        {
            var fold = k;
            plan.Add(new TrainingPass(
                $"fold {k + 1}/{folds}",
                trainJudgments.Where(j => Fold(j.QueryId, folds) != fold).ToList(),
                queries.Where(q => q.Split == "train" && Fold(q.QueryId, folds) == fold).ToList(),
                Served: false));
        }

        plan.Add(new TrainingPass("served", trainJudgments, val, Served: true));
        return plan;
    }

    /// <summary>The fold of a query id: a stable hash, so the same query lands in the same fold on every run.</summary>
    public static int Fold(string queryId, int folds) => (int)(StableHash.Fnv1a(queryId) % (uint)folds);
}

using Recommender.Cli.Training;
using Recommender.Embeddings.Training;

namespace Recommender.Cli.Tests;

/// <summary>Cross-fitting in <c>train</c>: no query's features come from an embedder that learned from it.</summary>
public sealed class TrainingPlanTests
{
    private static readonly List<JudgedQuery> Queries = Enumerable.Range(0, 400)
        .Select(i => new JudgedQuery("hd", $"q{i}", $"query {i}", i % 5 == 0 ? "val" : "train",
            new Dictionary<string, float> { [$"p{i}"] = 3 }, label => (int)label))
        .ToList();

    private static readonly List<Judgment> TrainJudgments = Queries.Where(q => q.Split == "train")
        .Select(q => new Judgment(q.QueryId, q.Query, $"p{q.QueryId}", 3, "train"))
        .ToList();

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Create_Folds_EveryTrainQueryScoredOnceByAnEmbedderThatNeverSawIt(int folds)
    {
        var plan = TrainingPlan.Create(Queries, TrainJudgments, folds, rankerShare: 0.5);

        Assert.Equal(folds + 1, plan.Count);
        var scored = plan.SelectMany(p => p.Queries.Select(q => (Pass: p, Query: q))).ToList();
        Assert.Equal(Queries.Count, scored.Count);
        Assert.Equal(Queries.Count, scored.Select(s => s.Query.QueryId).Distinct().Count());
        foreach (var (pass, query) in scored)
        {
            Assert.DoesNotContain(pass.EmbedderJudgments, j => j.QueryId == query.QueryId);
        }

        Assert.All(plan.Where(p => !p.Served), p => Assert.True(p.Queries.Count > 40, $"{p.Name} has {p.Queries.Count} queries"));
    }

    [Fact]
    public void Create_Folds_ServedEmbedderLearnsFromAllTrainAndScoresOnlyVal()
    {
        var plan = TrainingPlan.Create(Queries, TrainJudgments, 2, rankerShare: 0.5);

        var served = Assert.Single(plan, p => p.Served);
        Assert.Same(plan[^1], served);
        Assert.Equal(TrainJudgments.Count, served.EmbedderJudgments.Count);
        Assert.All(served.Queries, q => Assert.Equal("val", q.Split));
        Assert.Equal(Queries.Count(q => q.Split == "val"), served.Queries.Count);
    }

    [Fact]
    public void Create_OneFold_RankerShareHeldOutOfTheEmbedder()
    {
        var plan = TrainingPlan.Create(Queries, TrainJudgments, 1, rankerShare: 0.5);

        var pass = Assert.Single(plan);
        Assert.True(pass.Served);
        var trainScored = pass.Queries.Where(q => q.Split == "train").ToList();
        Assert.InRange(trainScored.Count, 100, 220);
        Assert.All(trainScored, q => Assert.DoesNotContain(pass.EmbedderJudgments, j => j.QueryId == q.QueryId));
        Assert.Equal(TrainJudgments.Count - trainScored.Count, pass.EmbedderJudgments.Count);
    }

    [Fact]
    public void Fold_SameId_SameFoldEveryTime()
    {
        Assert.Equal(TrainingPlan.Fold("hdq-00ead07602", 3), TrainingPlan.Fold("hdq-00ead07602", 3));
        Assert.Equal(2, Enumerable.Range(0, 200).Select(i => TrainingPlan.Fold($"q{i}", 2)).Distinct().Count());
    }
}

using Recommender.Cli.Training;
using Recommender.Contracts;
using Recommender.Embeddings.Training;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;

namespace Recommender.Cli.Tests;

/// <summary>The query-log expansion <c>train</c> builds: only train pairs that found their product, and cross-fitted so
/// no train query's features come from an expansion that holds that query.</summary>
public sealed class QueryLogTrainingTests
{
    private static readonly List<Judgment> Judgments = Enumerable.Range(0, 300)
        .SelectMany(i => new[]
        {
            new Judgment($"q{i}", $"word{i} bracket", $"p{i % 50}", 3, i % 6 == 0 ? "val" : "train"),
            new Judgment($"q{i}", $"word{i} bracket", $"other{i % 50}", 1, i % 6 == 0 ? "val" : "train"),
        })
        .ToList();

    private static readonly JudgmentSet Set = new("hd/judgments.jsonl", Judgments, label => (int)label, 4);

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Folds_EveryTrainQuery_AbsentFromItsFoldsExpansionPresentInTheOthers(int folds)
    {
        var expansions = QueryLogTraining.Folds([Set], folds);

        Assert.Equal(folds, expansions.Length);
        foreach (var j in Judgments.Where(j => j.Split == "train" && j.Label >= 2))
        {
            var own = TrainingPlan.Fold(j.QueryId, folds);
            Assert.DoesNotContain(j.Query, expansions[own].QueriesOf(j.ProductId));
            for (var k = 0; k < folds; k++)
            {
                if (k != own)
                {
                    Assert.Contains(j.Query, expansions[k].QueriesOf(j.ProductId));
                }
            }
        }
    }

    [Fact]
    public void Served_AllTrainPairsThatFoundTheirProduct_NoValNoLowLabels()
    {
        var served = QueryLogTraining.Served([Set]);

        var trainRelevant = Judgments.Count(j => j.Split == "train" && j.Label >= 2);
        Assert.Equal(trainRelevant, served.Queries);
        foreach (var j in Judgments)
        {
            var held = served.QueriesOf(j.ProductId).Contains(j.Query);
            Assert.Equal(j.Split == "train" && j.Label >= 2, held);
        }
    }

    [Fact]
    public void Found_EngagementLogSource_ClickFindsTheProduct()
    {
        var clicks = new JudgmentSet("log", [new Judgment("s1", "drill bits", "p1", 1, "train"), new Judgment("s2", "drill", "p2", 0, "train")],
            label => (int)label, 4, FoundAt: 1);

        Assert.Equal([("p1", "drill bits")], QueryLogTraining.Found([clicks]).ToList());
    }

    [Fact]
    public void Fill_TrainRowFromItsFold_ValRowFromServed()
    {
        var folds = QueryLogTraining.Folds([Set], 2);
        var served = QueryLogTraining.Served([Set]);
        var train = Judgments.First(j => j.Split == "train" && j.Label >= 2);
        var pins = Judgments.Select(j => j.ProductId).Distinct()
            .ToDictionary(id => id, id => new PinData { Id = id, Tenant = "t", Title = "bracket" }, StringComparer.Ordinal);
        QueryCandidates Row(string id, string split) => new("hd", id, split, [train.ProductId], [new float[RankingFeature.Count]], [3],
            new Dictionary<string, float>());
        var rows = new[] { Row(train.QueryId, "train"), Row("val-copy", "val") };
        var text = new Dictionary<string, string>
        {
            [QueryLogTraining.Key("hd", train.QueryId)] = train.Query,
            [QueryLogTraining.Key("hd", "val-copy")] = train.Query, // the same words, asked at serving time
        };

        QueryLogTraining.Fill(rows, text, pins, EmbeddedIntentParser.GrammarOnly, served, folds, spellCorrection: true);

        // The train query's own words are not in its fold's expansion: its best match is another query's.
        Assert.True(rows[0].Features[0][RankingFeature.QueryLogBestMatch] < 1, "a train query must not find itself");
        Assert.Equal(1, rows[1].Features[0][RankingFeature.QueryLogBestMatch]);
    }
}

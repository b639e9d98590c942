using System.Text.Json;
using Recommender.Contracts;
using Recommender.Ranking.Engagement;

namespace Recommender.Ranking.Tests.Engagement;

public sealed class ImplicitJudgmentsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recommender-implicit-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task FromLog_EngagementJoinedToSearches_StrongestKindPerPinIsTheGrade()
    {
        var at = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var log = new EngagementLog(_dir))
        {
            log.AppendSearch(Search("q1", "hp toner", at));
            log.AppendSearch(Search("q2", "wireless mouse", at));
            var events = new[]
            {
                EngagementStateTests.Event("u", "impressed", EngagementType.Impression, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "clicked", EngagementType.Impression, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "clicked", EngagementType.Click, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "bought", EngagementType.Click, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "bought", EngagementType.Purchase, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "bought", EngagementType.Save, queryId: "q1", at: at),
                EngagementStateTests.Event("u", "carted", EngagementType.AddToCart, queryId: "q2", at: at),
                EngagementStateTests.Event("u", "saved", EngagementType.Save, queryId: "q2", at: at),
                EngagementStateTests.Event("u", "no-search", EngagementType.Purchase, queryId: "unknown", at: at),
                EngagementStateTests.Event("u", "no-query", EngagementType.Purchase, at: at),
                EngagementStateTests.Event("u", "elsewhere", EngagementType.Click, queryId: "q1", at: at, tenant: "other"),
            };
            foreach (var e in events)
            {
                await log.AppendAsync(e);
            }

            await log.AppendAsync(events[0] with { Kind = "purchase" }); // same idempotency key repeated: ignored
        }

        var judgments = ImplicitJudgments.FromLog(_dir, tenant: "t");

        Assert.Equal(
            [("q1", "bought", 4f), ("q1", "clicked", 1f), ("q1", "impressed", 0f), ("q2", "carted", 3f), ("q2", "saved", 2f)],
            judgments.Select(j => (j.QueryId, j.ProductId, j.Label)));
        Assert.All(judgments.Where(j => j.QueryId == "q1"), j => Assert.Equal("hp toner", j.Query));
        Assert.All(judgments, j => Assert.Equal(ImplicitJudgments.SplitOf(j.Query), j.Split));

        var file = Path.Combine(_dir, "implicit.jsonl");
        await ImplicitJudgments.WriteAsync(judgments, file, TestContext.Current.CancellationToken);
        using var first = JsonDocument.Parse((await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken))[0]);
        Assert.Equal(["query_id", "query", "product_id", "label", "split"], first.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void SplitOf_ManyQueries_AboutTenPercentValAndStableUnderCaseAndSpaces()
    {
        var queries = Enumerable.Range(0, 10_000).Select(i => $"query number {i}").ToList();

        var val = queries.Count(q => ImplicitJudgments.SplitOf(q) == ImplicitJudgments.Val);

        Assert.InRange(val, 850, 1_150);
        Assert.All(queries.Take(200), q => Assert.Equal(ImplicitJudgments.SplitOf(q), ImplicitJudgments.SplitOf("  " + q.ToUpperInvariant().Replace(" ", "   ", StringComparison.Ordinal))));
        Assert.Equal(ImplicitJudgments.Train, ImplicitJudgments.SplitOf("anything", valFraction: 0));
        Assert.Equal(ImplicitJudgments.Val, ImplicitJudgments.SplitOf("anything", valFraction: 1));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static EngagementRecord Search(string queryId, string query, DateTimeOffset at) => new()
    {
        Type = EngagementRecord.SearchType,
        Tenant = "t",
        QueryId = queryId,
        Query = query,
        Timestamp = at,
        LoggedAt = at,
    };
}

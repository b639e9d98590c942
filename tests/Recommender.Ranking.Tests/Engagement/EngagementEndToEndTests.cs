using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Recommender.Contracts.Ranking.V1;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ranking.Tests.Engagement;

/// <summary>Engagement through the real gRPC API, the in-memory bus, the consumer, the log and the ranker (its own
/// host: the clicks here change popularity for the tenant).</summary>
public sealed class EngagementEndToEndTests(SearchHostFixture host) : IClassFixture<SearchHostFixture>
{
    private readonly RankingService.RankingServiceClient _admin = new(host.Channel.WithApiKey(SearchHostFixture.AdminKey));

    [Fact]
    public async Task HomeFeed_BrandNewUserOnQuietCatalog_DiverseSample()
    {
        var ct = TestContext.Current.CancellationToken;

        var feed = await host.Ranking.HomeFeedAsync(new HomeFeedRequest { UserId = "never-seen-" + Guid.NewGuid(), PageSize = 20 }, cancellationToken: ct);

        Assert.Equal(20, feed.Results.Count);
        Assert.Equal(20, feed.Results.Select(r => r.Pin.Id).Distinct().Count());
        Assert.True(feed.Results.Select(r => r.Pin.CategoryPath.FirstOrDefault() ?? "").Distinct().Count() >= 3,
            "a cold-start feed should not open on one category");
        Assert.NotEmpty(feed.NextPageToken);
    }

    [Fact]
    public async Task HomeFeed_UserClickedOneBrand_FeedLeansToItAndStatsCountTheEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = "fan-" + Guid.NewGuid().ToString("N");
        var seed = await host.Ranking.SearchAsync(new SearchRequest { Query = "toner cartridge", PageSize = 50 }, cancellationToken: ct);
        var brand = seed.Results.GroupBy(r => r.Pin.Brand).Where(g => g.Key.Length > 0).OrderByDescending(g => g.Count()).First().Key;
        var clicked = seed.Results.Where(r => r.Pin.Brand == brand).Take(3).ToList();
        var before = (await _admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct)).EventsCounted;

        var track = new TrackEngagementRequest();
        foreach (var r in clicked)
        {
            track.Events.Add(new EngagementEvent
            {
                UserId = user, PinId = r.Pin.Id, Kind = EngagementKind.Click, QueryId = seed.QueryId, Position = r.Position,
                Timestamp = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow), IdempotencyKey = $"{user}-{r.Pin.Id}",
            });
        }

        await host.Ranking.TrackEngagementAsync(track, cancellationToken: ct);
        await host.Ranking.TrackEngagementAsync(track, cancellationToken: ct); // a retried call: counted once
        await WaitUntilAsync(async () => (await _admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct)).EventsCounted >= before + clicked.Count);
        await WaitUntilAsync(async () => (await _admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct)).DuplicatesDropped >= clicked.Count);

        var stats = await _admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct);
        Assert.Equal(before + clicked.Count, stats.EventsCounted);
        Assert.True(stats.UsersTracked >= 1);

        var feed = await host.Ranking.HomeFeedAsync(new HomeFeedRequest { UserId = user, PageSize = 10 }, cancellationToken: ct);
        Assert.True(feed.Results.Count(r => r.Pin.Brand == brand) >= 6, $"expected {brand} to lead the feed: {string.Join(", ", feed.Results.Select(r => r.Pin.Brand))}");
        Assert.Contains(feed.Results[0].Explanation, e => e.Feature is "your_brand_affinity" or "your_category_affinity" or "retrieval_rank");

        var stranger = await host.Ranking.HomeFeedAsync(new HomeFeedRequest { UserId = "stranger-" + Guid.NewGuid(), PageSize = 10 }, cancellationToken: ct);
        Assert.All(stranger.Results, r => Assert.DoesNotContain(r.Explanation, e => e.Feature == "your_brand_affinity"));
    }

    [Fact]
    public async Task GetEngagementStats_StorefrontKey_PermissionDenied()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Ranking.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task HomeFeed_BadPageSize_InvalidArgumentWithField()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Ranking.HomeFeedAsync(new HomeFeedRequest { PageSize = 1_000 }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}

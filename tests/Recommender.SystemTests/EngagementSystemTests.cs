using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using RabbitMQ.Client;
using Recommender.Contracts.Ranking.V1;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>Engagement with real processes and a real broker: personalisation within a second, exactly-once counting
/// across a kill -9 of the ranking service, poison messages parked with their reason, and the raw RabbitMQ contract a
/// storefront back-end can publish to (docs/engagement.md).</summary>
public sealed class EngagementSystemTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    /// <summary>The exchange MassTransit binds every replica's engagement queue to.</summary>
    public const string Exchange = "Recommender.Contracts:PinEngaged";

    [Fact]
    public async Task Search_UserClicksABrand_ItsPinsMoveUpForThatUserOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "engage-brand";
        var pins = SampleCatalog.Read(3_000);
        Assert.Equal(pins.Count, await Ingest.UpsertAllAsync(system.IngestionFor(tenant), tenant, pins, 500, null, ct));
        await system.WaitForCountAsync(tenant, pins.Count, TimeSpan.FromSeconds(120));
        var ranking = system.RankingFor(tenant);
        var request = new SearchRequest { Query = "toner cartridge", UserId = "alice", PageSize = 100 };
        var before = await ranking.SearchAsync(request, cancellationToken: ct);

        // The brand whose first pin ranks lowest among brands with 4+ pins: the most room to move up.
        var brand = before.Results.GroupBy(r => r.Pin.Brand).Where(g => g.Key.Length > 0 && g.Count() >= 4)
            .OrderByDescending(g => g.Min(r => r.Position)).First().Key;
        var ofBrand = before.Results.Where(r => r.Pin.Brand == brand).ToList();
        var clicked = ofBrand.Take(2).Select(r => r.Pin.Id).ToHashSet();
        var unclicked = ofBrand.Skip(2).Select(r => r.Pin.Id).ToList();
        var bobBefore = await ranking.SearchAsync(new SearchRequest(request) { UserId = "bob" }, cancellationToken: ct);

        var track = new TrackEngagementRequest();
        foreach (var id in clicked)
        {
            track.Events.Add(new EngagementEvent
            {
                UserId = "alice", PinId = id, Kind = EngagementKind.Click, QueryId = before.QueryId,
                Timestamp = Timestamp.FromDateTime(DateTime.UtcNow), IdempotencyKey = "alice-" + id,
            });
        }

        await ranking.TrackEngagementAsync(track, cancellationToken: ct);
        var watch = Stopwatch.StartNew();
        SearchResponse after;
        do
        {
            after = await ranking.SearchAsync(request, cancellationToken: ct);
        }
        while (MeanPosition(after, unclicked) >= MeanPosition(before, unclicked) && watch.Elapsed < TimeSpan.FromSeconds(30));

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{brand}: unclicked pins' mean position {MeanPosition(before, unclicked):F1} -> {MeanPosition(after, unclicked):F1} after {watch.ElapsedMilliseconds} ms");
        Assert.True(MeanPosition(after, unclicked) < MeanPosition(before, unclicked), $"{brand}'s pins did not move up for alice");
        Assert.Contains(after.Results.First(r => r.Pin.Brand == brand).Explanation, e => e.Feature == "your_brand_affinity");

        // Bob's features for those pins did not change: none of them moves up for him.
        var bobAfter = await ranking.SearchAsync(new SearchRequest(request) { UserId = "bob" }, cancellationToken: ct);
        Assert.All(unclicked, id => Assert.True(Position(bobAfter, id) >= Position(bobBefore, id), $"{id} moved up for bob"));
        Assert.All(bobAfter.Results, r => Assert.DoesNotContain(r.Explanation, e => e.Feature == "your_brand_affinity"));
    }

    [Fact]
    public async Task Engagement_RankingKilledWhileTenThousandFlow_EveryEventCountedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "engage-kill";
        const int total = 10_000;
        var admin = system.RankingAdminFor(tenant);
        await using var connection = await ConnectAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var events = Enumerable.Range(0, total).Select(i => Event(tenant, $"user-{i % 1_000}", $"pin-{i % 700}", 1 + (i % 5), $"kill-{i}")).ToList();

        // Publish everything (confirmed by the broker, persistent), with repeats of 500 keys mixed in; kill -9 the
        // ranking service once part has been counted and restart it while the rest waits on its durable queue.
        var publishing = Task.Run(() => PublishAllAsync(channel, events.Concat(events.Take(500)), ct), ct);
        await WaitForCountedAsync(admin, 2_000, TimeSpan.FromSeconds(60), ct);
        await system.Ranking.KillHardAsync();
        await publishing;
        system.Ranking.Start();
        await system.Ranking.WaitReadyAsync(TimeSpan.FromSeconds(60), ct);

        await WaitForCountedAsync(admin, total, TimeSpan.FromSeconds(120), ct);
        await WaitForDrainedAsync(connection, ct);
        await Task.Delay(500, ct);
        var stats = await admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct);
        Assert.Equal(total, stats.EventsCounted);
        Assert.True(stats.DuplicatesDropped >= 500, $"{stats.DuplicatesDropped} repeats dropped");
        Assert.Equal(700, stats.PinsTracked);
        Assert.Equal(1_000, stats.UsersTracked);

        var logged = LoggedKeys(tenant);
        Assert.Equal(total, logged.Count);
        Assert.Equal(total, logged.Distinct().Count());
    }

    [Fact]
    public async Task Engagement_RankingStoppedGracefullyWhileEventsFlow_FinishesInFlightAndLosesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "engage-sigterm";
        const int total = 4_000;
        var admin = system.RankingAdminFor(tenant);
        await using var connection = await ConnectAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var events = Enumerable.Range(0, total).Select(i => Event(tenant, $"user-{i % 300}", $"pin-{i % 200}", 1 + (i % 5), $"term-{i}")).ToList();

        var publishing = Task.Run(() => PublishAllAsync(channel, events, ct), ct);
        await WaitForCountedAsync(admin, 800, TimeSpan.FromSeconds(60), ct);

        // SIGTERM mid-stream: the host stops the bus, which lets in-flight messages finish (logged, applied, acked)
        // before the process exits by itself.
        var exitedByItself = await system.Ranking.StopAsync(TimeSpan.FromSeconds(45));
        Assert.True(exitedByItself, "the ranking service did not finish its graceful shutdown within 45 s");
        Assert.Equal(0, system.Ranking.ExitCode);
        await publishing;
        system.Ranking.Start();
        await system.Ranking.WaitReadyAsync(TimeSpan.FromSeconds(60), ct);

        await WaitForCountedAsync(admin, total, TimeSpan.FromSeconds(120), ct);
        await WaitForDrainedAsync(connection, ct);
        await Task.Delay(500, ct);
        var stats = await admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct);
        Assert.Equal(total, stats.EventsCounted);

        // Nothing was published twice, so any repeat would be a message logged but not acknowledged before the exit:
        // a graceful stop leaves none.
        Assert.Equal(0, stats.DuplicatesDropped);
        var logged = LoggedKeys(tenant);
        Assert.Equal(total, logged.Count);
        Assert.Equal(total, logged.Distinct().Count());
    }

    [Fact]
    public async Task Engagement_HundredMalformedMessages_GoToErrorQueueWithReasonAndValidTrafficFlows()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "engage-poison";
        var admin = system.RankingAdminFor(tenant);
        await using var connection = await ConnectAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var errorQueue = $"pin-engaged-{system.RankingReplicaId}_error";
        var before = await QueueDepthAsync(connection, errorQueue, ct);

        for (var i = 0; i < 200; i++)
        {
            // Valid messages (the documented raw contract) alternate with malformed ones of four kinds.
            var body = i % 2 == 0
                ? Envelope(Event(tenant, $"u{i}", $"p{i % 10}", 2, $"ok-{i}"))
                : ((i / 2) % 4) switch
                {
                    0 => "this is not json {",
                    1 => Envelope(Event(tenant, $"u{i}", "", 2, $"no-pin-{i}")),
                    2 => Envelope(Event(tenant, $"u{i}", "p1", 9, $"bad-kind-{i}")),
                    _ => Envelope(Event("", $"u{i}", "p1", 2, $"no-tenant-{i}")),
                };
            await PublishAsync(channel, body, ct);
        }

        await WaitUntilAsync(async () => await QueueDepthAsync(connection, errorQueue, ct) - before >= 100, TimeSpan.FromSeconds(60));
        await WaitForCountedAsync(admin, 100, TimeSpan.FromSeconds(60), ct);
        Assert.Equal(100u, await QueueDepthAsync(connection, errorQueue, ct) - before);
        Assert.Equal(100, (await admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct)).EventsCounted);

        var reasons = new List<string>();
        await using var reader = await connection.CreateChannelAsync(cancellationToken: ct);
        for (var i = 0; i < 100; i++)
        {
            var message = await reader.BasicGetAsync(errorQueue, autoAck: true, ct);
            Assert.NotNull(message);
            var headers = message.BasicProperties.Headers ?? new Dictionary<string, object?>();
            reasons.Add(headers.TryGetValue("MT-Fault-Message", out var m) && m is byte[] bytes ? Encoding.UTF8.GetString(bytes)
                : headers.TryGetValue("MT-Reason", out var r) && r is byte[] rb ? Encoding.UTF8.GetString(rb) : "");
        }

        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        Assert.Contains(reasons, r => r.Contains("pinId is required", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("tenant is required", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("kind 9", StringComparison.Ordinal));
        Assert.False(system.Ranking.HasExited);
    }

    [Fact]
    public async Task Health_BrokerStopped_RankingNotReadyUntilItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var ready = new Uri(system.Ranking.HttpAddress, "/health/ready");
        Assert.True((await http.GetAsync(ready, ct)).IsSuccessStatusCode);

        await system.Broker.StopAsync();
        var last = "";
        try
        {
            await WaitUntilAsync(async () =>
            {
                using var response = await http.GetAsync(ready, ct);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
                return !response.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), () => $"/health/ready still answers {last}");
        }
        finally
        {
            await system.Broker.StartAgainAsync();
        }

        await system.Ranking.WaitReadyAsync(TimeSpan.FromSeconds(90), ct);
        Assert.True((await http.GetAsync(new Uri(system.Ranking.HttpAddress, "/health/live"), ct)).IsSuccessStatusCode);
    }

    /// <summary>The message body a storefront back-end publishes (docs/engagement.md): MassTransit's JSON envelope.</summary>
    public static string Envelope(object message) => JsonSerializer.Serialize(new
    {
        messageId = Guid.NewGuid(),
        messageType = new[] { "urn:message:Recommender.Contracts:PinEngaged" },
        message,
    });

    private static object Event(string tenant, string user, string pin, int kind, string key) => new
    {
        tenant,
        userId = user,
        sessionId = (string?)null,
        pinId = pin,
        kind,
        queryId = (string?)null,
        position = 1,
        timestamp = DateTimeOffset.UtcNow,
        idempotencyKey = key,
    };

    /// <summary>Publishes the events 200 at a time, each confirmed by the broker.</summary>
    private static async Task PublishAllAsync(IChannel channel, IEnumerable<object> events, CancellationToken ct)
    {
        foreach (var chunk in events.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(e => PublishAsync(channel, Envelope(e), ct)));
        }
    }

    private static Task WaitForCountedAsync(RankingService.RankingServiceClient admin, long count, TimeSpan timeout, CancellationToken ct) =>
        WaitUntilAsync(async () => (await admin.GetEngagementStatsAsync(new EngagementStatsRequest(), cancellationToken: ct)).EventsCounted >= count, timeout);

    /// <summary>Waits until this replica's engagement queue holds no message.</summary>
    private Task WaitForDrainedAsync(IConnection connection, CancellationToken ct) =>
        WaitUntilAsync(async () => await QueueDepthAsync(connection, $"pin-engaged-{system.RankingReplicaId}", ct) == 0, TimeSpan.FromSeconds(60));

    private static async Task PublishAsync(IChannel channel, string body, CancellationToken ct)
    {
        var props = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = Guid.NewGuid().ToString(),
        };

        // With publisher confirmations on, this completes when the broker has the message (and throws on a nack).
        await channel.BasicPublishAsync(Exchange, "", mandatory: false, props, Encoding.UTF8.GetBytes(body), ct);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken ct) => await new ConnectionFactory
    {
        HostName = system.Broker.Host,
        Port = system.Broker.Port,
        UserName = system.Broker.Username,
        Password = system.Broker.Password,
    }.CreateConnectionAsync(ct);

    private List<string> LoggedKeys(string tenant)
    {
        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(system.EngagementPath, "engagement-*.jsonl"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("tenant").GetString() == tenant)
                {
                    keys.Add(doc.RootElement.GetProperty("idempotency_key").GetString()!);
                }
            }
        }

        return keys;
    }

    private static double MeanPosition(SearchResponse response, List<string> ids) => ids.Average(id => Position(response, id));

    private static int Position(SearchResponse response, string id) =>
        response.Results.FirstOrDefault(r => r.Pin.Id == id)?.Position ?? (response.Results.Count + 1);

    private static async Task<uint> QueueDepthAsync(IConnection connection, string queue, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // The service is restarting.
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Condition not met within {timeout}. {describe?.Invoke()}");
    }
}

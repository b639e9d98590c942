using System.Text;
using RabbitMQ.Client;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>Faults with real processes and a real broker: nothing acknowledged is lost, nothing is stored twice,
/// and poison messages are parked in the _error queue while valid traffic flows.</summary>
public sealed class MessagingReliabilityTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task Ingest_VectorKilledMidway_AllPinsStoredExactlyOnceAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "kill-vector";
        var pins = Ingest.Variants(20_000);

        var ingest = Ingest.UpsertAllAsync(system.IngestionFor(tenant), tenant, pins, 500, null, ct);
        await WaitUntilAsync(async () => await CountAsync(tenant) >= 3_000, TimeSpan.FromSeconds(60));
        await system.Vector.KillHardAsync();
        await Task.Delay(500, ct);
        system.Vector.Start();
        await system.Vector.WaitReadyAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Equal(pins.Count, await ingest);

        await system.WaitForCountAsync(tenant, pins.Count, TimeSpan.FromSeconds(120));
        await Task.Delay(1_000, ct);
        Assert.Equal(pins.Count, await CountAsync(tenant));
        var sampleIds = pins.Where((_, i) => i % 997 == 0).Select(p => p.Id).ToList();
        var got = await system.VectorClient.GetAsync(new GetRequest { Tenant = tenant, PinIds = { sampleIds } }, cancellationToken: ct);
        Assert.Equal(sampleIds, got.Points.Select(p => p.Pin.Id));
        Assert.Contains("Embedded vector store opened", system.Vector.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_BrokerRestartedMidway_NothingLostOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "broker-restart";
        var pins = Ingest.Variants(8_000);
        var accepted = 0;

        var ingest = Ingest.UpsertAllAsync(system.IngestionFor(tenant), tenant, pins, 250, n => Volatile.Write(ref accepted, n), ct);
        await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref accepted) >= 2_000), TimeSpan.FromSeconds(60));
        await system.Broker.RestartAsync();

        Assert.Equal(pins.Count, await ingest);
        await system.WaitForCountAsync(tenant, pins.Count, TimeSpan.FromSeconds(120));
        var search = await system.RankingFor(tenant).SearchAsync(new Contracts.Ranking.V1.SearchRequest { Query = "toner" }, cancellationToken: ct);
        Assert.NotEmpty(search.Results);
    }

    [Fact]
    public async Task Consume_HundredMalformedMessages_GoToErrorQueueWithReasonAndValidTrafficFlows()
    {
        var ct = TestContext.Current.CancellationToken;
        const string tenant = "poison-mix";
        var factory = new ConnectionFactory
        {
            HostName = system.Broker.Host,
            Port = system.Broker.Port,
            UserName = system.Broker.Username,
            Password = system.Broker.Password,
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var errorQueue = "pins-embedded_error";
        var before = await ErrorCountAsync(connection, errorQueue, ct);

        var valid = Ingest.Variants(600);
        var ingest = Ingest.UpsertAllAsync(system.IngestionFor(tenant), tenant, valid, 100, null, ct);
        for (var i = 0; i < 100; i++)
        {
            var body = (i % 4) switch
            {
                0 => "this is not json {",
                1 => Envelope("""{"batchId":"00000000-0000-0000-0000-000000000001","at":"2026-01-01T00:00:00Z","pins":[]}"""),
                2 => Envelope("""{"batchId":"00000000-0000-0000-0000-000000000002","at":"2026-01-01T00:00:00Z","pins":[{"pin":{"id":"x","tenant":"poison-mix","title":"t"},"dense":"AAEC","sparseIndices":[],"sparseValues":[],"embedderVersion":"hash-256-v1"}]}"""),
                _ => Envelope("""{"batchId":"00000000-0000-0000-0000-000000000003","at":"2026-01-01T00:00:00Z","pins":[null]}"""),
            };
            var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, MessageId = Guid.NewGuid().ToString() };
            await channel.BasicPublishAsync("Recommender.Contracts:PinsEmbedded", "", mandatory: false, props, Encoding.UTF8.GetBytes(body), ct);
        }

        Assert.Equal(valid.Count, await ingest);
        await system.WaitForCountAsync(tenant, valid.Count, TimeSpan.FromSeconds(60));
        await WaitUntilAsync(async () => await ErrorCountAsync(connection, errorQueue, ct) - before >= 100, TimeSpan.FromSeconds(60));
        Assert.Equal(100u, await ErrorCountAsync(connection, errorQueue, ct) - before);

        var reasons = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var message = await channel.BasicGetAsync(errorQueue, autoAck: true, ct);
            Assert.NotNull(message);
            var headers = message.BasicProperties.Headers ?? new Dictionary<string, object?>();
            var reason = headers.TryGetValue("MT-Fault-Message", out var m) && m is byte[] bytes ? Encoding.UTF8.GetString(bytes)
                : headers.TryGetValue("MT-Reason", out var r) && r is byte[] rb ? Encoding.UTF8.GetString(rb) : "";
            reasons.Add(reason);
        }

        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        Assert.Contains(reasons, r => r.Contains("multiple of 4 bytes", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("has no pins", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync(tenant) - valid.Count);
        Assert.False(system.Vector.HasExited);
    }

    private static string Envelope(string message) =>
        $$"""{"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Recommender.Contracts:PinsEmbedded"],"message":{{message}}}""";

    private static async Task<uint> ErrorCountAsync(IConnection connection, string queue, CancellationToken ct)
    {
        // A passive declare of a missing queue closes its channel, so each check gets its own.
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

    private async Task<long> CountAsync(string tenant) =>
        (await system.VectorClient.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = tenant })).Count;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Condition not met within {timeout}.");
    }
}

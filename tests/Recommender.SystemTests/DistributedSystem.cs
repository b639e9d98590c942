using Grpc.Core;
using Grpc.Net.Client;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.ServiceDefaults.Security;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>The three services as separate processes over a real RabbitMQ, configured by environment only, with
/// API-key authentication on (keys minted per test tenant).</summary>
public sealed class DistributedSystem : IAsyncLifetime
{
    public static readonly string[] Tenants =
    [
        "systest", "oversized", "bad-pins", "someone-else", "nobody", "kill-vector", "broker-restart", "poison-mix", "shop-a", "shop-b",
        "engage-brand", "engage-kill", "engage-sigterm", "engage-poison",
    ];

    private readonly List<GrpcChannel> _channels = [];
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "recommender-systest-" + Guid.NewGuid().ToString("N"));

    public RabbitMqBroker Broker { get; } = new();

    /// <summary>The ranking replica's id: its engagement queue is pin-engaged-{id}.</summary>
    public string RankingReplicaId { get; } = "systest-0";

    /// <summary>Where the ranking service keeps its engagement log.</summary>
    public string EngagementPath => _dataPath + "-engagement";

    public TestKeys Keys { get; } = new(Tenants);

    /// <summary>A storefront key of shop-a limited to 5 requests per second.</summary>
    public string LimitedKey { get; private set; } = "";

    /// <summary>Keys for the hostile-input run, with a rate limit high enough not to interfere.</summary>
    public (string Storefront, string Admin) FuzzKeys { get; private set; }

    public ServiceProcess Vector { get; private set; } = null!;

    public ServiceProcess Ingestion { get; private set; } = null!;

    public ServiceProcess Ranking { get; private set; } = null!;

    /// <summary>The internal vector API, with the service key.</summary>
    public VectorService.VectorServiceClient VectorClient { get; private set; } = null!;

    /// <summary>Ingestion with the tenant's admin key.</summary>
    public IngestionService.IngestionServiceClient IngestionFor(string tenant) => new(Authorized(Ingestion, Keys.Admin(tenant)));

    /// <summary>Ranking with the tenant's admin key (engagement stats).</summary>
    public RankingService.RankingServiceClient RankingAdminFor(string tenant) => new(Authorized(Ranking, Keys.Admin(tenant)));

    /// <summary>Ranking with the tenant's storefront key.</summary>
    public RankingService.RankingServiceClient RankingFor(string tenant) => new(Authorized(Ranking, Keys.Storefront(tenant)));

    /// <summary>A call invoker that sends <paramref name="key"/> (or nothing when null).</summary>
    public CallInvoker Authorized(ServiceProcess service, string? key)
    {
        return Channel(service).WithApiKey(key);
    }

    public async ValueTask InitializeAsync()
    {
        await Broker.InitializeAsync();
        LimitedKey = Keys.Add("shop-a-limited", "shop-a", ApiKeyRole.Storefront, permitsPerSecond: 5);
        FuzzKeys = (Keys.Add("fuzz-storefront", "fuzz", ApiKeyRole.Storefront, permitsPerSecond: 100_000),
            Keys.Add("fuzz-admin", "fuzz", ApiKeyRole.Admin, permitsPerSecond: 100_000));
        var env = Broker.ServiceEnvironment();
        foreach (var (key, value) in Keys.Environment())
        {
            env[key] = value;
        }

        Vector = new ServiceProcess("vector", RepoPaths.HostDll("services/Vector/Host", "Recommender.Vector.Host"),
            new Dictionary<string, string>(env) { ["Vector__Embedded__DataPath"] = _dataPath });
        Ingestion = new ServiceProcess("ingestion", RepoPaths.HostDll("services/Ingestion/Host", "Recommender.Ingestion.Host"), env);
        Ranking = new ServiceProcess("ranking", RepoPaths.HostDll("services/Ranking/Host", "Recommender.Ranking.Host"), env);
        Ranking.Set("Ranking__VectorAddress", Vector.GrpcAddress.ToString());
        Ranking.Set("Ranking__VectorApiKey", Keys.Service);
        Ranking.Set("Ranking__Engagement__DataPath", EngagementPath);
        Ranking.Set("Ranking__Engagement__ReplicaId", RankingReplicaId);

        foreach (var service in new[] { Vector, Ingestion, Ranking })
        {
            service.Start();
        }

        foreach (var service in new[] { Vector, Ingestion, Ranking })
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }

        VectorClient = new VectorService.VectorServiceClient(Authorized(Vector, Keys.Service));
    }

    /// <summary>Polls the vector service until the tenant holds <paramref name="count"/> pins.</summary>
    public async Task WaitForCountAsync(string tenant, long count, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long seen = -1;
        while (watch.Elapsed < timeout)
        {
            seen = (await VectorClient.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = tenant })).Count;
            if (seen == count)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Tenant '{tenant}' has {seen} pins after {timeout}, expected {count}.\nvector log:\n{Vector.Log}\ningestion log:\n{Ingestion.Log}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var service in new[] { Ranking, Ingestion, Vector })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }

        await Broker.DisposeAsync();
        foreach (var path in new[] { _dataPath, EngagementPath })
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }

    private GrpcChannel Channel(ServiceProcess service)
    {
        lock (_channels)
        {
            var channel = GrpcChannel.ForAddress(service.GrpcAddress);
            _channels.Add(channel);
            return channel;
        }
    }
}

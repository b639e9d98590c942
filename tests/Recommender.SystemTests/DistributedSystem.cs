using Grpc.Net.Client;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>The three services as separate processes over a real RabbitMQ, configured by environment only.</summary>
public sealed class DistributedSystem : IAsyncLifetime
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "recommender-systest-" + Guid.NewGuid().ToString("N"));

    public RabbitMqBroker Broker { get; } = new();

    public ServiceProcess Vector { get; private set; } = null!;

    public ServiceProcess Ingestion { get; private set; } = null!;

    public ServiceProcess Ranking { get; private set; } = null!;

    public IngestionService.IngestionServiceClient IngestionClient { get; private set; } = null!;

    public RankingService.RankingServiceClient RankingClient { get; private set; } = null!;

    public VectorService.VectorServiceClient VectorClient { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Broker.InitializeAsync();
        var env = Broker.ServiceEnvironment();
        Vector = new ServiceProcess("vector", RepoPaths.HostDll("services/Vector/Host", "Recommender.Vector.Host"),
            new Dictionary<string, string>(env) { ["Vector__Embedded__DataPath"] = _dataPath });
        Ingestion = new ServiceProcess("ingestion", RepoPaths.HostDll("services/Ingestion/Host", "Recommender.Ingestion.Host"), env);
        Ranking = new ServiceProcess("ranking", RepoPaths.HostDll("services/Ranking/Host", "Recommender.Ranking.Host"), env);
        Ranking.Set("Ranking__VectorAddress", Vector.GrpcAddress.ToString());

        foreach (var service in new[] { Vector, Ingestion, Ranking })
        {
            service.Start();
        }

        foreach (var service in new[] { Vector, Ingestion, Ranking })
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }

        IngestionClient = new IngestionService.IngestionServiceClient(Channel(Ingestion));
        RankingClient = new RankingService.RankingServiceClient(Channel(Ranking));
        VectorClient = new VectorService.VectorServiceClient(Channel(Vector));
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
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    private GrpcChannel Channel(ServiceProcess service)
    {
        var channel = GrpcChannel.ForAddress(service.GrpcAddress);
        _channels.Add(channel);
        return channel;
    }
}

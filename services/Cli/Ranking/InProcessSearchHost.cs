using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ingestion;
using Recommender.Ranking;
using Recommender.Ranking.Intent;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector;

namespace Recommender.Cli.Ranking;

/// <summary>
/// A fresh embedded instance, hosted the way services/Embedded hosts it: the Vector, Ingestion and Ranking services in
/// one Kestrel host on a free loopback port (HTTP/2), the in-memory bus, the embedded vector store in a temporary data
/// folder that is deleted on dispose, and Auth:Mode=Development for one tenant. Callers talk to it over real gRPC;
/// Ranking's calls to Vector stay in the process (<c>AddInProcessVectorClient</c>), as in services/Embedded.
/// </summary>
public sealed class InProcessSearchHost : IAsyncDisposable
{
    public const string Tenant = "default";
    private readonly WebApplication _app;
    private readonly string _dataPath;

    private InProcessSearchHost(WebApplication app, string dataPath, string address)
    {
        _app = app;
        _dataPath = dataPath;
        // One channel; HTTP/2 multiplexes the parallel calls over it.
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Ingestion = new IngestionService.IngestionServiceClient(Channel);
        Ranking = new RankingService.RankingServiceClient(Channel);
        Vector = new VectorService.VectorServiceClient(Channel);
    }

    public GrpcChannel Channel { get; }

    public IngestionService.IngestionServiceClient Ingestion { get; }

    public RankingService.RankingServiceClient Ranking { get; }

    public VectorService.VectorServiceClient Vector { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The version of the embedder the instance actually loaded (the hashing fallback says so).</summary>
    public string EmbedderVersion => _app.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>().ModelVersion();

    /// <summary>Starts the host. <paramref name="settings"/> override the defaults (e.g. Embeddings:ModelPath,
    /// Ranking:Model:Path, Ranking:CandidateCount).</summary>
    public static async Task<InProcessSearchHost> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "recommender-rank-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        var config = new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "InMemory",
            ["Vector:Backend"] = "Embedded",
            ["Vector:Embedded:DataPath"] = dataPath,
            ["Ranking:VectorAddress"] = address,
            ["Auth:Mode"] = "Development",
            ["Auth:DevelopmentTenant"] = Tenant,

            // The host is the CLI's own: its searches are not rate limited (the default 500 per second per key refused
            // rank's bursts once searches got faster, with RESOURCE_EXHAUSTED, and the run failed).
            ["Auth:PermitsPerSecond"] = "0",
            ["Intent:PrewarmTenants:0"] = Tenant,
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.AddRecommenderDefaults();
        builder.AddIngestionServices();
        builder.AddVectorServices();
        builder.AddRankingServices();
        builder.AddInProcessVectorClient();
        builder.AddRecommenderMessaging();
        var app = builder.Build();
        app.MapRecommenderDefaults();
        app.MapIngestionEndpoints();
        app.MapVectorEndpoints();
        app.MapRankingEndpoints();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            DeleteQuietly(dataPath);
            throw;
        }

        return new InProcessSearchHost(app, dataPath, address);
    }

    /// <summary>Rebuilds the tenant's intent vocabulary and category classifier from its pins now, as the background
    /// refresher would within <c>Intent:RefreshSeconds</c> on a new catalog.</summary>
    public Task<bool> RefreshIntentModelAsync(CancellationToken cancellationToken) =>
        _app.Services.GetRequiredService<IntentRefreshService>().RefreshAsync(Tenant, cancellationToken);

    /// <summary>Returns once the vector store's clustered indexes are built from the loaded catalog (a large catalog is
    /// searched through its index, built in the background; a measured run waits so it uses the index).</summary>
    public Task WaitForVectorIndexesAsync(CancellationToken cancellationToken) =>
        _app.Services.WaitForVectorIndexesAsync(cancellationToken);

    /// <summary>Whether the vector store's clustered indexes are calibrated (see docs/vector.md).</summary>
    public bool VectorIndexesCalibrated => _app.Services.VectorIndexesCalibrated();

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            DeleteQuietly(_dataPath);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; the OS cleans the temp directory.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

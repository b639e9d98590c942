using Recommender.ServiceDefaults.Security;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Ingestion;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector;
using Recommender.Vector.Storage;

namespace Recommender.Ingestion.Tests;

/// <summary>
/// A real host on a free loopback port: the Ingestion service, the Vector consumers and the embedded store (in
/// memory), joined by MassTransit's in-memory bus, exactly as the embedded mode wires them.
/// </summary>
public sealed class IngestionServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IngestionServer(WebApplication app, GrpcChannel channel)
    {
        _app = app;
        Channel = channel;
    }

    public GrpcChannel Channel { get; }

    /// <summary>An admin key of the tenant "shop", which every test imports into.</summary>
    public static string AdminKey { get; } = ApiKeyHasher.NewKey();

    public IngestionService.IngestionServiceClient Client => new(Channel.WithApiKey(AdminKey));

    public IVectorStore Store => _app.Services.GetRequiredService<IVectorStore>();

    public static async Task<IngestionServer> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vector:Embedded:DataPath"] = "",
            ["Messaging:Transport"] = "InMemory",
            ["SampleCatalog:Enabled"] = "false",
            ["Auth:Mode"] = "ApiKeys",
            ["Auth:Keys:0:Id"] = "shop-admin",
            ["Auth:Keys:0:Tenant"] = "shop",
            ["Auth:Keys:0:Role"] = "Admin",
            ["Auth:Keys:0:Hash"] = ApiKeyHasher.Hash(AdminKey),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.AddRecommenderDefaults();
        builder.AddIngestionServices();
        builder.AddVectorServices();
        builder.AddRecommenderMessaging();
        var app = builder.Build();
        app.MapRecommenderDefaults();
        app.MapIngestionEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new IngestionServer(app, GrpcChannel.ForAddress(address));
    }

    /// <summary>Waits until the store holds <paramref name="count"/> pins of the tenant (the bus is asynchronous).</summary>
    public async Task<long> WaitForPinsAsync(string tenant, long count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        long seen;
        while ((seen = (await Store.GetStatsAsync(tenant, TestContext.Current.CancellationToken)).Count) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

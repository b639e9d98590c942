using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recommender.Vector.Tests.FakeQdrant;

/// <summary>
/// A fake Qdrant on a loopback port: Kestrel, HTTP/2 cleartext, the real gRPC wire protocol of services
/// qdrant.Collections and qdrant.Points (from the project's proto subset). The Qdrant backend talks to it exactly
/// as it would to Qdrant.
/// </summary>
public sealed class FakeQdrantServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeQdrantServer(WebApplication app, FakeQdrantState state, string endpoint)
    {
        _app = app;
        State = state;
        Endpoint = endpoint;
    }

    public FakeQdrantState State { get; }

    /// <summary>http://127.0.0.1:port</summary>
    public string Endpoint { get; }

    public static async Task<FakeQdrantServer> StartAsync(FakeQdrantState? state = null, CancellationToken cancellationToken = default)
    {
        state ??= new FakeQdrantState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<FakeQdrantInterceptor>();
            o.MaxReceiveMessageSize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        app.MapGrpcService<FakeCollectionsService>();
        app.MapGrpcService<FakePointsService>();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeQdrantServer(app, state, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

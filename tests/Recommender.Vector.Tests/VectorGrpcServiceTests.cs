using System.Net;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.ServiceDefaults.Security;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Tests.FakeQdrant;
using static Recommender.Vector.Tests.TestPins;
using Status = Google.Rpc.Status;

namespace Recommender.Vector.Tests;

/// <summary>The vector service's own host (defaults, vector services, in-memory bus) on a loopback port.</summary>
public sealed class VectorServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeQdrantServer? _qdrant;

    private VectorServiceHost(WebApplication app, FakeQdrantServer? qdrant, GrpcChannel channel)
    {
        _app = app;
        _qdrant = qdrant;
        Channel = channel;
        Client = new VectorService.VectorServiceClient(channel.WithApiKey(ServiceKey));
    }

    /// <summary>The vector API takes Service keys; this host accepts this one.</summary>
    public static string ServiceKey { get; } = ApiKeyHasher.NewKey();

    public GrpcChannel Channel { get; }

    public VectorService.VectorServiceClient Client { get; }

    /// <summary>The client registered in the host's container: with <c>inProcessClient</c>, the one that calls the
    /// service in process (<c>AddInProcessVectorClient</c>).</summary>
    public VectorService.VectorServiceClient RegisteredClient => _app.Services.GetRequiredService<VectorService.VectorServiceClient>();

    public IServiceProvider Services => _app.Services;

    public static async Task<VectorServiceHost> StartAsync(string backend, CancellationToken cancellationToken, bool inProcessClient = false)
    {
        var qdrant = backend == "Qdrant" ? await FakeQdrantServer.StartAsync(cancellationToken: cancellationToken) : null;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vector:Backend"] = backend,
            ["Vector:Embedded:DataPath"] = "",
            ["Vector:Qdrant:Endpoint"] = qdrant?.Endpoint ?? "http://localhost:6334",
            ["Vector:Qdrant:Collection"] = "grpc_tests",
            ["Messaging:Transport"] = "InMemory",
            ["Auth:Mode"] = "ApiKeys",
            ["Auth:Keys:0:Id"] = "tests",
            ["Auth:Keys:0:Tenant"] = "*",
            ["Auth:Keys:0:Role"] = "Service",
            ["Auth:Keys:0:Hash"] = ApiKeyHasher.Hash(ServiceKey),
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.AddRecommenderDefaults();
        builder.AddVectorServices();
        if (inProcessClient)
        {
            builder.AddInProcessVectorClient();
        }

        builder.AddRecommenderMessaging();
        var app = builder.Build();
        app.MapRecommenderDefaults();
        app.MapVectorEndpoints();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new VectorServiceHost(app, qdrant, GrpcChannel.ForAddress(address));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_qdrant is not null)
        {
            await _qdrant.DisposeAsync();
        }
    }
}

/// <summary>The internal vector API through a real server, on both backends: validation with field paths,
/// rule breaks with their status codes, and the data path.</summary>
public sealed class VectorGrpcServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Backends => ["Embedded", "Qdrant"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Search_BadRequest_InvalidArgumentWithEveryFieldPath(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct);
        var request = new SearchRequest { Tenant = " ", Limit = 0, Filter = new Filter() };
        request.Filter.Must.Add(new Condition { Keyword = new KeywordMatch { Field = "material", Any = { "wool" } } });
        request.Filter.Should.Add(new Condition { Range = new NumericRange { Field = "brand", Gt = 1 } });
        request.Filter.MustNot.Add(new Condition { Nested = new Filter { Must = { new Condition { Keyword = new KeywordMatch { Field = "brand" } } } } });

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.SearchAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(
            ["dense", "filter.must[0].keyword.field", "filter.must_not[0].nested.must[0].keyword.any", "filter.should[0].range.field", "limit", "tenant"],
            FieldViolations(error).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Upsert_BadPoints_InvalidArgumentWithPointPaths(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct);
        var request = new UpsertRequest();
        request.Points.Add(ToProto(Pin(Acme, 1)));
        var bad = ToProto(Pin(Acme, 2));
        bad.Pin.Id = "";
        bad.EmbedderVersion = "";
        bad.Sparse.Values.Add(1f);
        request.Points.Add(bad);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.UpsertAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(["points[1].embedder_version", "points[1].pin.id", "points[1].sparse"], FieldViolations(error).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task UpsertSearchRecommendInfo_RoundTripThroughTheService(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct);
        var upsert = new UpsertRequest();
        upsert.Points.Add(Catalog().Select(ToProto));

        var upserted = await host.Client.UpsertAsync(upsert, cancellationToken: Ct);
        var search = new SearchRequest
        {
            Tenant = Acme, Limit = 5, EmbedderVersion = EmbedderVersion, WithVectors = true,
            Sparse = SparseQuery("wool rug").ToProto(), Filter = new Filter(),
        };
        search.Dense.Add(DenseQuery("wool rug"));
        search.Filter.Must.Add(new Condition { Keyword = new KeywordMatch { Field = "in_stock", Any = { "true" } } });
        var found = await host.Client.SearchAsync(search, cancellationToken: Ct);
        var related = await host.Client.RecommendAsync(new RecommendRequest { Tenant = Acme, PositiveIds = { "p004" }, Limit = 3 }, cancellationToken: Ct);
        var info = await host.Client.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = Globex }, cancellationToken: Ct);

        Assert.Equal(Catalog().Count, upserted.Applied);
        var expected = new Oracle(Catalog(), new VectorSearchOptions().MinPrefetch).Hybrid(new HybridQuery(
            Acme, DenseQuery("wool rug"), SparseQuery("wool rug"), Must(Keyword("in_stock", "true")), 5, EmbedderVersion));
        Assert.Equal(expected.Select(e => e.Id), found.Results.Select(r => r.Pin.Id));
        Assert.All(found.Results, r => Assert.Equal(Dimensions, r.Dense.Count));
        Assert.All(found.Results, r => Assert.True(r.Pin.InStock));
        Assert.Equal(3, related.Results.Count);
        Assert.DoesNotContain(related.Results, r => r.Pin.Id == "p004");
        Assert.Equal(25, info.Count);
        Assert.Equal(Dimensions, info.Dimensions);
        Assert.Equal(EmbedderVersion, info.EmbedderVersion);
        Assert.Equal(backend.ToLowerInvariant(), info.Backend);
    }

    /// <summary>grpc-dotnet creates the service for every call; each stored version keeps its own wire message
    /// (<see cref="SharedPin"/>), so a search over the wire builds the messages of the pins it returns, and only those,
    /// and a second search for the same pins reuses them (Qdrant's hits are new objects and have none to keep).</summary>
    [Fact]
    public async Task Search_SamePinsTwiceOverTheWire_MessagesBuiltOnce()
    {
        await using var host = await VectorServiceHost.StartAsync("Embedded", Ct);
        var upsert = new UpsertRequest();
        upsert.Points.Add(Catalog().Select(ToProto));
        await host.Client.UpsertAsync(upsert, cancellationToken: Ct);
        var search = new SearchRequest { Tenant = Acme, Limit = 10, EmbedderVersion = EmbedderVersion, Sparse = SparseQuery("wool rug").ToProto() };
        search.Dense.Add(DenseQuery("wool rug"));
        var store = host.Services.GetRequiredService<IVectorStore>();
        var all = Catalog().Where(p => p.Pin.Tenant == Acme).Select(p => p.Pin.Id).ToList();

        var first = await host.Client.SearchAsync(search, cancellationToken: Ct);
        var found = first.Results.Select(r => r.Pin.Id).ToHashSet();
        var built = (await store.GetAsync(Acme, all, Ct)).Where(p => p.Shared!.HasMessage).ToList();
        var messages = built.Select(p => p.Shared!.Message).ToList();
        var second = await host.Client.SearchAsync(search, cancellationToken: Ct);
        var builtAfter = (await store.GetAsync(Acme, all, Ct)).Where(p => p.Shared!.HasMessage).ToList();

        Assert.Equal(10, first.Results.Count);
        Assert.Equal(first.Results.Select(r => r.Pin), second.Results.Select(r => r.Pin));
        Assert.Equal(found.Order(StringComparer.Ordinal), built.Select(p => p.Pin.Id).Order(StringComparer.Ordinal));
        Assert.Equal(messages, builtAfter.Select(p => p.Shared!.Message), ReferenceEqualityComparer.Instance);
        Assert.Equal(first.Results.Select(r => r.Pin), first.Results.Select(r => built.Single(p => p.Pin.Id == r.Pin.Id).Shared!.Message));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Search_OtherEmbedderVersion_FailedPrecondition(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct);
        var upsert = new UpsertRequest();
        upsert.Points.Add(ToProto(Pin(Acme, 1)));
        await host.Client.UpsertAsync(upsert, cancellationToken: Ct);
        var search = new SearchRequest { Tenant = Acme, Limit = 5, EmbedderVersion = "hash-64-v2" };
        search.Dense.Add(DenseQuery("rug"));

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.SearchAsync(search, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("hash-64-v2", error.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Recommend_UnknownPin_NotFound(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct);
        var upsert = new UpsertRequest();
        upsert.Points.Add(ToProto(Pin(Acme, 1)));
        await host.Client.UpsertAsync(upsert, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.RecommendAsync(new RecommendRequest { Tenant = Acme, PositiveIds = { "p001" }, NegativeIds = { "p404" }, Limit = 3 }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("p404", error.Status.Detail);
    }

    internal static VectorPoint ToProto(StoredPoint point)
    {
        var proto = new VectorPoint { Pin = point.Pin.ToProto(), EmbedderVersion = point.EmbedderVersion, Sparse = point.Sparse.ToProto() };
        proto.Dense.Add(point.Dense);
        return proto;
    }

    internal static IEnumerable<string> FieldViolations(RpcException error)
    {
        var bytes = error.Trailers.GetValueBytes("grpc-status-details-bin");
        Assert.NotNull(bytes);
        var status = Status.Parser.ParseFrom(bytes);
        return status.Details.Single(d => d.Is(BadRequest.Descriptor)).Unpack<BadRequest>().FieldViolations.Select(v => v.Field);
    }
}

using Grpc.Core;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using static Recommender.Vector.Tests.TestPins;
using static Recommender.Vector.Tests.VectorGrpcServiceTests;

namespace Recommender.Vector.Tests;

/// <summary>
/// <c>AddInProcessVectorClient</c> (what services/Embedded, the CLI rank host and the load client use): the same
/// host serves the vector API over real gRPC and in process; every call must answer the same, results and errors.
/// </summary>
public sealed class InProcessVectorClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Backends => ["Embedded", "Qdrant"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Calls_SameDataAsGrpc_SameResponses(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct, inProcessClient: true);
        var inProcess = host.RegisteredClient;
        var upsert = new UpsertRequest();
        upsert.Points.Add(Catalog().Select(ToProto));
        // Writes go in process too; a repeat is all stale, as over the wire.
        var applied = await inProcess.UpsertAsync(upsert, cancellationToken: Ct);
        var stale = await host.Client.UpsertAsync(upsert, cancellationToken: Ct);

        foreach (var (text, withVectors, filtered) in new[] { ("wool rug", true, true), ("wireless mouse", false, false), ("lamp", false, true) })
        {
            var search = new SearchRequest
            {
                Tenant = Acme, Limit = 20, EmbedderVersion = EmbedderVersion, WithVectors = withVectors,
                Sparse = SparseQuery(text).ToProto(),
            };
            search.Dense.Add(DenseQuery(text));
            if (filtered)
            {
                search.Filter = new Filter();
                search.Filter.Must.Add(new Condition { Keyword = new KeywordMatch { Field = "in_stock", Any = { "true" } } });
                search.Filter.MustNot.Add(new Condition { Range = new NumericRange { Field = "price", Gt = 150 } });
            }

            var overGrpc = await host.Client.SearchAsync(search, cancellationToken: Ct);
            var direct = await inProcess.SearchAsync(search, cancellationToken: Ct);
            Assert.NotEmpty(overGrpc.Results);
            Assert.Equal(overGrpc, direct);
        }

        var recommend = new RecommendRequest { Tenant = Acme, PositiveIds = { "p004" }, NegativeIds = { "p010" }, Limit = 7, WithVectors = true };
        Assert.Equal(await host.Client.RecommendAsync(recommend, cancellationToken: Ct), await inProcess.RecommendAsync(recommend, cancellationToken: Ct));
        var get = new GetRequest { Tenant = Globex, PinIds = { "p001", "p002", "p404" }, WithVectors = true };
        var got = await inProcess.GetAsync(get, cancellationToken: Ct);
        Assert.Equal(await host.Client.GetAsync(get, cancellationToken: Ct), got);
        var info = new CollectionInfoRequest { Tenant = Globex };
        Assert.Equal(await host.Client.GetCollectionInfoAsync(info, cancellationToken: Ct), await inProcess.GetCollectionInfoAsync(info, cancellationToken: Ct));
        if (backend == "Embedded")
        {
            var list = new ListPinsRequest { Tenant = Acme, PageSize = 7 };
            Assert.Equal(await host.Client.ListPinsAsync(list, cancellationToken: Ct), await inProcess.ListPinsAsync(list, cancellationToken: Ct));
        }

        var delete = new DeleteRequest { Tenant = Acme, PinIds = { "p001" }, Version = 5 };
        Assert.Equal(1, (await inProcess.DeleteAsync(delete, cancellationToken: Ct)).Deleted);
        Assert.Equal(Catalog().Count, applied.Applied);
        Assert.Equal(Catalog().Count, stale.Stale);
        Assert.Equal(2, got.Points.Count);
        Assert.Equal(Dimensions, got.Points[0].Dense.Count);
        Assert.Empty((await host.Client.GetAsync(new GetRequest { Tenant = Acme, PinIds = { "p001" } }, cancellationToken: Ct)).Points);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Errors_SameStatusDetailAndFieldPathsAsGrpc(string backend)
    {
        await using var host = await VectorServiceHost.StartAsync(backend, Ct, inProcessClient: true);
        var upsert = new UpsertRequest();
        upsert.Points.Add(ToProto(Pin(Acme, 1)));
        await host.Client.UpsertAsync(upsert, cancellationToken: Ct);
        var invalid = new SearchRequest { Tenant = " ", Limit = 0, Filter = new Filter() };
        invalid.Filter.Must.Add(new Condition { Keyword = new KeywordMatch { Field = "material", Any = { "wool" } } });
        var otherEmbedder = new SearchRequest { Tenant = Acme, Limit = 5, EmbedderVersion = "hash-64-v2" };
        otherEmbedder.Dense.Add(DenseQuery("rug"));
        var noTenant = new SearchRequest { Limit = 5, EmbedderVersion = EmbedderVersion };
        noTenant.Dense.Add(DenseQuery("rug"));
        var unknownPin = new RecommendRequest { Tenant = Acme, PositiveIds = { "p001" }, NegativeIds = { "p404" }, Limit = 3 };

        var calls = new (string Name, Func<VectorService.VectorServiceClient, Task> Call, StatusCode Expected)[]
        {
            ("invalid search", c => c.SearchAsync(invalid, cancellationToken: Ct).ResponseAsync, StatusCode.InvalidArgument),
            ("other embedder", c => c.SearchAsync(otherEmbedder, cancellationToken: Ct).ResponseAsync, StatusCode.FailedPrecondition),
            ("no tenant", c => c.SearchAsync(noTenant, cancellationToken: Ct).ResponseAsync, StatusCode.InvalidArgument),
            ("unknown pin", c => c.RecommendAsync(unknownPin, cancellationToken: Ct).ResponseAsync, StatusCode.NotFound),
            ("bad upsert", c => c.UpsertAsync(new UpsertRequest { Points = { new VectorPoint { Pin = new() } } }, cancellationToken: Ct).ResponseAsync, StatusCode.InvalidArgument),
            ("past deadline", c => c.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = Acme }, deadline: DateTime.UtcNow.AddSeconds(-1), cancellationToken: Ct).ResponseAsync, StatusCode.DeadlineExceeded),
            ("cancelled", c => c.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = Acme }, cancellationToken: new CancellationToken(true)).ResponseAsync, StatusCode.Cancelled),
        };
        foreach (var (name, call, expected) in calls)
        {
            var overGrpc = await Assert.ThrowsAsync<RpcException>(() => call(host.Client));
            var direct = await Assert.ThrowsAsync<RpcException>(() => call(host.RegisteredClient));

            Assert.True(expected == overGrpc.StatusCode, $"{name}: gRPC gave {overGrpc.StatusCode}");
            Assert.True(expected == direct.StatusCode, $"{name}: in process gave {direct.StatusCode}");
            Assert.Equal(overGrpc.Status.Detail, direct.Status.Detail);
            if (expected == StatusCode.InvalidArgument)
            {
                Assert.Equal(FieldViolations(overGrpc), FieldViolations(direct));
                Assert.NotEmpty(FieldViolations(direct));
            }
        }
    }

    [Fact]
    public async Task AsyncUnaryCall_Completed_StatusOkAndTrailersReadable()
    {
        await using var host = await VectorServiceHost.StartAsync("Embedded", Ct, inProcessClient: true);
        using var call = host.RegisteredClient.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = Acme }, cancellationToken: Ct);

        var info = await call.ResponseAsync;

        Assert.Equal(0, info.Count);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.NotNull(call.GetTrailers());
    }

    [Fact]
    public async Task Search_EmbeddedStore_SharesEachPinVersionsMessageAndFollowsUpdates()
    {
        await using var host = await VectorServiceHost.StartAsync("Embedded", Ct, inProcessClient: true);
        var inProcess = host.RegisteredClient;
        var upsert = new UpsertRequest();
        upsert.Points.Add(Catalog().Select(ToProto));
        await inProcess.UpsertAsync(upsert, cancellationToken: Ct);
        var search = new SearchRequest { Tenant = Acme, Limit = 10, EmbedderVersion = EmbedderVersion, Sparse = SparseQuery("wool rug").ToProto() };
        search.Dense.Add(DenseQuery("wool rug"));

        var first = await inProcess.SearchAsync(search, cancellationToken: Ct);
        var second = await inProcess.SearchAsync(search, cancellationToken: Ct);

        // One message per stored pin version, shared by responses (read-only), equal to a fresh conversion.
        Assert.NotEmpty(first.Results);
        Assert.All(first.Results.Zip(second.Results), pair => Assert.Same(pair.First.Pin, pair.Second.Pin));
        Assert.All(first.Results, r => Assert.Empty(r.Dense));
        var top = first.Results[0].Pin;
        var renamed = Pin(Acme, int.Parse(top.Id[1..], System.Globalization.CultureInfo.InvariantCulture), version: top.Version + 1, title: top.Title + " renamed");
        await inProcess.UpsertAsync(new UpsertRequest { Points = { ToProto(renamed) } }, cancellationToken: Ct);

        var after = await inProcess.SearchAsync(search, cancellationToken: Ct);
        var updatedHit = Assert.Single(after.Results, r => r.Pin.Id == top.Id);
        var updated = updatedHit.Pin;
        Assert.NotSame(top, updated);
        Assert.Equal(top.Version + 1, updated.Version);
        Assert.EndsWith(" renamed", updated.Title, StringComparison.Ordinal);
        var overGrpc = await host.Client.SearchAsync(search, cancellationToken: Ct);
        Assert.Equal(overGrpc, after);

        // In process each hit also carries the store's own pin version (what Ranking keeps its form of the pin on): the
        // same instance while the version lives, a new one after the upsert, whose message is the hit's. Over the
        // network there is none.
        Assert.All(first.Results.Zip(second.Results), pair => Assert.Same(Assert.IsType<SharedPin>(pair.First.StoredPin), pair.Second.StoredPin));
        Assert.All(first.Results, r => Assert.Equal((r.Pin.Id, r.Pin.Version, r.Pin.Title), (r.StoredPin!.Pin.Id, r.StoredPin.Pin.Version, r.StoredPin.Pin.Title)));
        Assert.All(first.Results, r => Assert.Same(r.Pin, r.StoredPin!.Message));
        Assert.Equal((top.Version + 1, updated.Title), (updatedHit.StoredPin!.Pin.Version, updatedHit.StoredPin.Pin.Title));
        Assert.All(overGrpc.Results, r => Assert.Null(r.StoredPin));
        var got = await inProcess.GetAsync(new GetRequest { Tenant = Acme, PinIds = { top.Id }, WithVectors = true }, cancellationToken: Ct);
        Assert.Same(updatedHit.StoredPin, Assert.Single(got.Points).StoredPin);
    }
}

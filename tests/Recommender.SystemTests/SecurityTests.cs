using Grpc.Core;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.SystemTests.Infrastructure;
using RankingSearch = Recommender.Contracts.Ranking.V1.SearchRequest;
using VectorSearch = Recommender.Contracts.Vector.V1.SearchRequest;

namespace Recommender.SystemTests;

/// <summary>Authentication, roles, tenant isolation and rate limits across the three real services.</summary>
public sealed class SecurityTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static (List<Pin> A, List<Pin> B)? _catalogs;

    public static TheoryData<string?> MissingOrWrongKeys => new() { (string?)null, "rk_not-a-key", "" };

    [Theory]
    [MemberData(nameof(MissingOrWrongKeys))]
    public async Task EveryCall_WithoutAValidKey_IsUnauthenticated(string? key)
    {
        var calls = AllCalls(key, key, key);

        var codes = new List<(string Call, StatusCode Code)>();
        foreach (var (name, call) in calls)
        {
            codes.Add((name, await StatusOf(call)));
        }

        Assert.All(codes, c => Assert.True(c.Code == StatusCode.Unauthenticated, $"{c.Call}: {c.Code}"));
        Assert.Equal(15, codes.Count);
    }

    [Fact]
    public async Task AdminCalls_WithStorefrontKey_ArePermissionDenied()
    {
        var storefront = system.Keys.Storefront("shop-a");
        var admin = system.Keys.Admin("shop-a");

        var denied = AllCalls(ranking: null, ingestion: storefront, vector: storefront)
            .Where(c => !c.Name.StartsWith("ranking", StringComparison.Ordinal))
            .Concat(AllCalls(ranking: null, ingestion: null, vector: admin).Where(c => c.Name.StartsWith("vector", StringComparison.Ordinal)))
            .ToList();

        Assert.Equal(18, denied.Count);
        foreach (var (name, call) in denied)
        {
            Assert.True(await StatusOf(call) == StatusCode.PermissionDenied, name);
        }
    }

    [Fact]
    public async Task EveryPublicCall_TenantAKey_NeverReachesTenantB()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = await LoadAsync();
        var ranking = system.RankingFor("shop-a");
        var aIds = a.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var bOnly = b.Where(p => !aIds.Contains(p.Id)).ToList();
        var crossTenant = 0;
        var results = 0;

        foreach (var query in new[] { "toner", "cable", "printer ink", "hp", "adapter", "monitor", "b-only", "laser", "black", "usb" })
        {
            var response = await ranking.SearchAsync(new RankingSearch { Query = query, PageSize = 100 }, cancellationToken: ct);
            results += response.Results.Count;
            crossTenant += response.Results.Count(r => r.Pin.Tenant != "shop-a" || !aIds.Contains(r.Pin.Id) || r.Pin.Title.StartsWith("B-only", StringComparison.Ordinal));
        }

        foreach (var pin in a.Take(10))
        {
            var related = await ranking.RelatedPinsAsync(new RelatedPinsRequest { PinId = pin.Id, PageSize = 50 }, cancellationToken: ct);
            results += related.Results.Count;
            crossTenant += related.Results.Count(r => r.Pin.Tenant != "shop-a" || r.Pin.Title.StartsWith("B-only", StringComparison.Ordinal));
        }

        Assert.True(results > 100, $"only {results} results were checked");
        Assert.Equal(0, crossTenant);

        // B's pins cannot be used as examples, named as the tenant, deleted or tracked through A's keys.
        Assert.Equal(StatusCode.NotFound, await StatusOf(() => ranking.RelatedPinsAsync(new RelatedPinsRequest { PinId = bOnly[0].Id }).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => ranking.SearchAsync(new RankingSearch { Tenant = "shop-b", Query = "toner" }).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => ranking.TrackEngagementAsync(new TrackEngagementRequest
        {
            Events = { new EngagementEvent { Tenant = "shop-b", PinId = bOnly[0].Id, UserId = "u", Kind = EngagementKind.Click } },
        }).ResponseAsync));
        var ingestA = system.IngestionFor("shop-a");
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => ingestA.DeletePinsAsync(new DeletePinsRequest { Tenant = "shop-b", PinIds = { bOnly[0].Id } }).ResponseAsync));

        var shared = b.Where(p => aIds.Contains(p.Id)).Select(p => p.Id).Take(20).ToList();
        await ingestA.DeletePinsAsync(new DeletePinsRequest { PinIds = { shared } }, cancellationToken: ct);
        await system.WaitForCountAsync("shop-a", a.Count - shared.Count, TimeSpan.FromSeconds(30));
        Assert.Equal(b.Count, (await system.VectorClient.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = "shop-b" }, cancellationToken: ct)).Count);
    }

    [Fact]
    public async Task Search_BurstAboveTheKeysRate_IsResourceExhaustedThenRecovers()
    {
        var ct = TestContext.Current.CancellationToken;
        var limited = new RankingService.RankingServiceClient(system.Authorized(system.Ranking, system.LimitedKey));

        var codes = new List<StatusCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add(await StatusOf(() => limited.SearchAsync(new RankingSearch { Query = "toner" }).ResponseAsync));
        }

        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.True(codes.Count(c => c == StatusCode.OK) >= 5, string.Join(",", codes));
        await Task.Delay(1_500, ct);
        Assert.Equal(StatusCode.OK, await StatusOf(() => limited.SearchAsync(new RankingSearch { Query = "toner" }).ResponseAsync));
    }

    [Fact]
    public async Task JsonApi_NoKeyOrWrongRole_Is401Or403()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient();

        using var anonymous = await http.GetAsync(new Uri(system.Ranking.HttpAddress, "/v1/search?query=toner"), ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(system.Ingestion.HttpAddress, "/v1/pins:delete"))
        {
            Content = new StringContent("""{"pinIds":["x"]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", system.Keys.Storefront("shop-a"));
        using var wrongRole = await http.SendAsync(request, ct);
        using var withKey = new HttpRequestMessage(HttpMethod.Get, new Uri(system.Ranking.HttpAddress, "/v1/search?query=toner"));
        withKey.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", system.Keys.Storefront("shop-a"));
        using var allowed = await http.SendAsync(withKey, ct);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, wrongRole.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, allowed.StatusCode);
    }

    private List<(string Name, Func<Task> Call)> AllCalls(string? ranking, string? ingestion, string? vector)
    {
        var r = new RankingService.RankingServiceClient(system.Authorized(system.Ranking, ranking));
        var i = new IngestionService.IngestionServiceClient(system.Authorized(system.Ingestion, ingestion));
        var v = new VectorService.VectorServiceClient(system.Authorized(system.Vector, vector));
        var pin = new Pin { Id = "p1", Title = "A pin" };
        return
        [
            ("ranking.Search", () => r.SearchAsync(new RankingSearch { Query = "toner" }).ResponseAsync),
            ("ranking.RelatedPins", () => r.RelatedPinsAsync(new RelatedPinsRequest { PinId = "p1" }).ResponseAsync),
            ("ranking.TrackEngagement", () => r.TrackEngagementAsync(new TrackEngagementRequest
            {
                Events = { new EngagementEvent { PinId = "p1", UserId = "u", Kind = EngagementKind.Click } },
            }).ResponseAsync),
            ("ingestion.UpsertPins", () => i.UpsertPinsAsync(new UpsertPinsRequest { Pins = { pin } }).ResponseAsync),
            ("ingestion.StreamPins", async () =>
            {
                using var stream = i.StreamPins();
                try
                {
                    await stream.RequestStream.WriteAsync(new UpsertPinsRequest { Pins = { pin } });
                    await stream.RequestStream.CompleteAsync();
                }
                catch (RpcException)
                {
                    // The server may refuse the call while the client is still writing: the write then fails with
                    // whatever ended the stream (seen as Cancelled); the call's own status is the response's.
                }

                await stream.ResponseAsync;
            }),
            ("ingestion.DeletePins", () => i.DeletePinsAsync(new DeletePinsRequest { PinIds = { "p1" } }).ResponseAsync),
            ("vector.Search", () => v.SearchAsync(new VectorSearch { Tenant = "shop-a", Dense = { 1f }, Limit = 1 }).ResponseAsync),
            ("vector.Recommend", () => v.RecommendAsync(new RecommendRequest { Tenant = "shop-a", PositiveIds = { "p1" }, Limit = 1 }).ResponseAsync),
            ("vector.Get", () => v.GetAsync(new GetRequest { Tenant = "shop-a", PinIds = { "p1" } }).ResponseAsync),
            ("vector.Upsert", () => v.UpsertAsync(new UpsertRequest()).ResponseAsync),
            ("vector.Delete", () => v.DeleteAsync(new DeleteRequest { Tenant = "shop-a", PinIds = { "p1" } }).ResponseAsync),
            ("vector.GetCollectionInfo", () => v.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = "shop-a" }).ResponseAsync),
            ("ranking.Search(tenant b)", () => r.SearchAsync(new RankingSearch { Tenant = "shop-b", Query = "x" }).ResponseAsync),
            ("ingestion.UpsertPins(tenant b)", () => i.UpsertPinsAsync(new UpsertPinsRequest { Tenant = "shop-b", Pins = { pin } }).ResponseAsync),
            ("vector.Search(tenant b)", () => v.SearchAsync(new VectorSearch { Tenant = "shop-b", Dense = { 1f }, Limit = 1 }).ResponseAsync),
        ];
    }

    private static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private async Task<(List<Pin> A, List<Pin> B)> LoadAsync()
    {
        await Loading.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_catalogs is null)
            {
                var sample = SampleCatalog.Read(300);
                var a = sample.Take(200).ToList();
                var b = sample.Skip(100).Select(p =>
                {
                    var copy = p.Clone();
                    copy.Title = "B-only " + copy.Title;
                    return copy;
                }).ToList();
                var ct = TestContext.Current.CancellationToken;
                await Ingest.UpsertAllAsync(system.IngestionFor("shop-a"), "shop-a", a, 100, null, ct);
                await Ingest.UpsertAllAsync(system.IngestionFor("shop-b"), "shop-b", b, 100, null, ct);
                await system.WaitForCountAsync("shop-a", a.Count, TimeSpan.FromSeconds(60));
                await system.WaitForCountAsync("shop-b", b.Count, TimeSpan.FromSeconds(60));
                _catalogs = (a, b);
            }

            return _catalogs.Value;
        }
        finally
        {
            Loading.Release();
        }
    }
}

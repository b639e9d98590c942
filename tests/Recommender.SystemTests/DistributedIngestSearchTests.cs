using Grpc.Core;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>
/// Ingest -> embed -> RabbitMQ -> vector store -> hybrid search -> rank, across three real processes.
/// The 1,000 pins are loaded once (the first test to run waits for them); every test reads them.
/// </summary>
public sealed class DistributedIngestSearchTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    private const string Tenant = "systest";
    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static List<Pin>? _loaded;

    [Fact]
    public async Task UpsertPins_ThousandPins_AllBecomeSearchable()
    {
        var pins = await LoadAsync();

        var info = await system.VectorClient.GetCollectionInfoAsync(new Contracts.Vector.V1.CollectionInfoRequest { Tenant = Tenant },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(pins.Count, info.Count);
        Assert.Equal(256, info.Dimensions);
        Assert.False(string.IsNullOrEmpty(info.EmbedderVersion));
    }

    [Fact]
    public async Task Search_TonerCartridge_ReturnsTonerFirst()
    {
        await LoadAsync();

        var response = await system.RankingFor(Tenant).SearchAsync(
            new SearchRequest { Tenant = Tenant, Query = "toner cartridge", PageSize = 10 },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(10, response.Results.Count);
        var titles = response.Results.Select(r => r.Pin.Title.ToLowerInvariant()).ToList();
        Assert.Contains("toner", titles[0], StringComparison.Ordinal);
        Assert.True(titles.Count(t => t.Contains("toner", StringComparison.Ordinal)) >= 8, string.Join("\n", titles));
        Assert.Equal(Enumerable.Range(1, 10), response.Results.Select(r => r.Position));
        // Results are in placement order: a pin placed below a lower-scored one says why (diversity, stock, pinned).
        Assert.All(
            response.Results.Zip(response.Results.Skip(1)).Where(p => p.First.Score < p.Second.Score),
            p => Assert.True(
                p.Second.Explanation.Any(e => e.Feature is "diversity" or "rule:out_of_stock")
                || p.First.Explanation.Any(e => e.Feature == "rule:pinned"),
                $"{p.Second.Pin.Id} scored above {p.First.Pin.Id} but was placed below it without saying why"));
        Assert.All(response.Results, r => Assert.NotEmpty(r.Explanation));
    }

    [Fact]
    public async Task Search_PriceRangeFilter_IsHonoured()
    {
        var pins = await LoadAsync();
        var expected = pins.Count(p => p.HasPrice && p.Price is >= 5 and <= 20 && p.Title.Contains("cable", StringComparison.OrdinalIgnoreCase));
        Assert.True(expected > 0, "the sample should hold cables priced 5-20");

        var response = await system.RankingFor(Tenant).SearchAsync(
            new SearchRequest { Tenant = Tenant, Query = "cable", PageSize = 50, Filters = new SearchFilters { PriceMin = 5, PriceMax = 20 } },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEmpty(response.Results);
        Assert.All(response.Results, r => Assert.InRange(r.Pin.Price, 5, 20));
    }

    [Fact]
    public async Task Search_PriceBoundInQuery_IsParsedAndHonoured()
    {
        await LoadAsync();

        var response = await system.RankingFor(Tenant).SearchAsync(
            new SearchRequest { Tenant = Tenant, Query = "usb cable under $10", PageSize = 20 },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(10, response.Intent.PriceMax);
        Assert.Equal("usb cable", response.Intent.Text);
        Assert.NotEmpty(response.Results);
        Assert.All(response.Results, r => Assert.True(r.Pin.Price <= 10, $"{r.Pin.Title} costs {r.Pin.Price}"));
    }

    [Fact]
    public async Task Search_Pagination_PagesDoNotOverlapAndContinueTheOrder()
    {
        await LoadAsync();
        var request = new SearchRequest { Tenant = Tenant, Query = "printer", PageSize = 5 };

        var ranking = system.RankingFor(Tenant);
        var first = await ranking.SearchAsync(request, cancellationToken: TestContext.Current.CancellationToken);
        var second = await ranking.SearchAsync(
            new SearchRequest(request) { PageToken = first.NextPageToken }, cancellationToken: TestContext.Current.CancellationToken);
        var both = await ranking.SearchAsync(
            new SearchRequest(request) { PageSize = 10 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.False(string.IsNullOrEmpty(first.NextPageToken));
        Assert.Equal(both.Results.Select(r => r.Pin.Id), first.Results.Concat(second.Results).Select(r => r.Pin.Id));
        Assert.Equal([6, 7, 8, 9, 10], second.Results.Select(r => r.Position));
    }

    [Fact]
    public async Task Search_OtherTenant_SeesNoneOfThesePins()
    {
        await LoadAsync();

        var response = await system.RankingFor("someone-else").SearchAsync(
            new SearchRequest { Query = "toner cartridge" },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Empty(response.Results);
    }

    [Fact]
    public async Task Search_EmptyQuery_IsInvalidArgumentNamingQuery()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await system.RankingFor(Tenant).SearchAsync(new SearchRequest { Tenant = Tenant, Query = "  " },
                cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("query", ex.ViolatedFields());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task UpsertPins_OversizedBatch_IsInvalidArgumentNamingPins()
    {
        var request = new UpsertPinsRequest { Tenant = "oversized" };
        request.Pins.Add(Enumerable.Range(0, 1001).Select(i => new Pin { Id = $"p{i}", Title = "A pin" }));

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await system.IngestionFor("oversized").UpsertPinsAsync(request, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("pins", ex.ViolatedFields());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task UpsertPins_PinWithoutId_IsInvalidArgumentNamingTheField()
    {
        var request = new UpsertPinsRequest { Tenant = "bad-pins" };
        request.Pins.Add(new Pin { Id = "ok-1", Title = "Fine pin" });
        request.Pins.Add(new Pin { Title = "No id here", Price = -3 });

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await system.IngestionFor("bad-pins").UpsertPinsAsync(request, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["pins[1].id", "pins[1].price"], ex.ViolatedFields());
        Assert.Contains("pins[1].id", ex.Status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        Assert.False(system.Ingestion.HasExited);
        Assert.False(system.Ranking.HasExited);
        var response = await system.RankingFor("nobody").SearchAsync(
            new SearchRequest { Query = "still alive" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(response.Intent);
    }

    private async Task<List<Pin>> LoadAsync()
    {
        await Loading.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_loaded is null)
            {
                var pins = SampleCatalog.Read(1000);
                foreach (var chunk in pins.Chunk(250))
                {
                    var request = new UpsertPinsRequest { Tenant = Tenant };
                    request.Pins.Add(chunk);
                    var response = await system.IngestionFor(Tenant).UpsertPinsAsync(request, cancellationToken: TestContext.Current.CancellationToken);
                    Assert.Equal(chunk.Length, response.Accepted);
                }

                await system.WaitForCountAsync(Tenant, pins.Count, TimeSpan.FromSeconds(60));
                _loaded = pins;
            }

            return _loaded;
        }
        finally
        {
            Loading.Release();
        }
    }
}

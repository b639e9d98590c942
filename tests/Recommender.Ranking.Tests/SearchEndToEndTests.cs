using Grpc.Core;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Intent;
using RankingSearchRequest = Recommender.Contracts.Ranking.V1.SearchRequest;
using SearchResponse = Recommender.Contracts.Ranking.V1.SearchResponse;

namespace Recommender.Ranking.Tests;

/// <summary>Search through real gRPC: the parsed intent's hard constraints reach the vector store as filters.</summary>
public sealed class SearchEndToEndTests(SearchHostFixture host) : IClassFixture<SearchHostFixture>
{
    [Theory]
    [InlineData("toner under $50", 50.0)]
    [InlineData("usb cable less than 10 dollars", 10.0)]
    [InlineData("ups $200 or less", 200.0)]
    public async Task Search_UnderX_ReturnsOnlyPinsPricedAtMostX(string query, double max)
    {
        var response = await SearchAsync(query, pageSize: 100);

        Assert.NotEmpty(response.Results);
        Assert.All(response.Results, r => Assert.True(r.Pin.HasPrice && r.Pin.Price <= max, $"{r.Pin.Title} costs {r.Pin.Price}"));
        Assert.Equal(max, response.Intent.PriceMax);
        Assert.Equal(IntentParsers.Remote, response.Intent.ParsedBy); // the model said 99999; the grammar's bound stood
    }

    [Theory]
    [InlineData("toner not xerox", "Xerox")]
    [InlineData("ups without apc", "APC")]
    [InlineData("network cable not startech", "StarTech.com")]
    [InlineData("ups not tripp lite", "Tripp Lite")]
    public async Task Search_NotBrand_ReturnsNoneOfThatBrand(string query, string brand)
    {
        var response = await SearchAsync(query, pageSize: 100);

        Assert.NotEmpty(response.Results);
        Assert.DoesNotContain(response.Results, r => string.Equals(r.Pin.Brand, brand, StringComparison.OrdinalIgnoreCase));
        Assert.Equal([brand], response.Intent.ExcludedBrands);
        // Without the exclusion the same words do find that brand: the test would catch a filter that is ignored.
        var unfiltered = await SearchAsync(query.Split(" not ")[0].Split(" without ")[0], pageSize: 100);
        Assert.Contains(unfiltered.Results, r => string.Equals(r.Pin.Brand, brand, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Search_BetweenPricesAndExcludedBrand_AppliesBoth()
    {
        var response = await SearchAsync("hp ink cartridge between 20 and 60 dollars not canon", pageSize: 100);

        Assert.NotEmpty(response.Results);
        Assert.All(response.Results, r => Assert.InRange(r.Pin.Price, 20, 60));
        Assert.DoesNotContain(response.Results, r => r.Pin.Brand == "Canon");
        Assert.Equal(20, response.Intent.PriceMin);
        Assert.Equal(60, response.Intent.PriceMax);
        Assert.Equal(["HP"], response.Intent.Brands);
    }

    [Fact]
    public async Task Search_Intent_EveryFieldIsReturned()
    {
        var response = await SearchAsync("cheapest black hp notebook under $900 not lenovo without bluetooth", pageSize: 5);

        var intent = response.Intent;
        Assert.Equal("cheapest black hp notebook under $900 not lenovo without bluetooth", intent.NormalizedQuery);
        Assert.Equal(["HP"], intent.Brands);
        Assert.Equal(["Lenovo"], intent.ExcludedBrands);
        Assert.Equal(["bluetooth"], intent.NegatedTerms);
        Assert.Equal(900, intent.PriceMax);
        Assert.False(intent.HasPriceMin);
        Assert.Equal("USD", intent.Currency);
        Assert.Equal("black", intent.Colour);
        Assert.Equal(SortPreference.Cheapest, intent.Sort);
        Assert.True(intent.PriceSensitive);
        Assert.Equal("Notebook", intent.Category); // the sample's Icecat product types
        Assert.True(intent.CategoryConfidence > 0);
        Assert.Equal("black hp notebook", intent.Text);
        Assert.Contains(intent.Spans, s => s.Slot == IntentSlots.PriceMax && s.Value == "900");
        Assert.Contains(intent.Spans, s => s.Slot == IntentSlots.ExcludedBrand && s.Value == "Lenovo");
        Assert.DoesNotContain(response.Results, r => r.Pin.Title.Contains("bluetooth", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Search_RemoteModelTooSlow_EmbeddedParseStillFilters()
    {
        host.Chat.Answer = async ctx =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up: that is the point.
            }
        };
        try
        {
            var response = await SearchAsync("toner under $30 not xerox", pageSize: 50);

            Assert.Equal(IntentParsers.Fallback, response.Intent.ParsedBy);
            Assert.NotEmpty(response.Results);
            Assert.All(response.Results, r => Assert.True(r.Pin.Price <= 30));
            Assert.DoesNotContain(response.Results, r => r.Pin.Brand == "Xerox");
        }
        finally
        {
            host.Chat.Answer = SearchHostFixture.ContradictingAnswer;
        }
    }

    [Fact]
    public async Task ListPins_PagesThroughTheTenantInIdOrder()
    {
        var ids = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await host.Vector.ListPinsAsync(
                new ListPinsRequest { Tenant = SearchHostFixture.Tenant, PageSize = 700, PageToken = token },
                cancellationToken: TestContext.Current.CancellationToken);
            ids.AddRange(page.Pins.Select(p => p.Id));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(host.Pins.Count, ids.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(5, pages);
        var other = await host.Vector.ListPinsAsync(new ListPinsRequest { Tenant = "nobody" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(other.Pins);
    }

    [Fact]
    public async Task ListPins_BadPageSizeOrToken_IsInvalidArgument()
    {
        var size = await Assert.ThrowsAsync<RpcException>(() => host.Vector.ListPinsAsync(
            new ListPinsRequest { Tenant = SearchHostFixture.Tenant, PageSize = 5_000 }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        var token = await Assert.ThrowsAsync<RpcException>(() => host.Vector.ListPinsAsync(
            new ListPinsRequest { Tenant = SearchHostFixture.Tenant, PageToken = "!!!" }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, size.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, token.StatusCode);
    }

    [Fact]
    public void IntentModel_LearnedFromTheStoreOverGrpc()
    {
        var registry = (IntentModelRegistry)host.Services.GetService(typeof(IntentModelRegistry))!;
        var model = registry.ModelFor(SearchHostFixture.Tenant);

        Assert.NotNull(model);
        Assert.Equal(host.Pins.Count, model.PinCount);
        Assert.True(model.Parser.Vocabulary.TryResolveBrand("startech", out var brand));
        Assert.Equal("StarTech.com", brand);
        Assert.NotNull(model.Parser.Classifier);
    }

    private Task<SearchResponse> SearchAsync(string query, int pageSize) =>
        host.Ranking.SearchAsync(
            new RankingSearchRequest { Tenant = SearchHostFixture.Tenant, Query = query, PageSize = pageSize },
            cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;

    /// <summary>MMR (the default) compares candidate vectors that searches no longer carry: Ranking fetches those of
    /// pins it has not seen once, then reuses them. Both searches must diversify, and identically.</summary>
    [Fact]
    public async Task Search_DefaultMmrTwice_DiversifiesWithFetchedThenCachedVectors()
    {
        var request = new RankingSearchRequest { Query = "toner cartridge", PageSize = 20 };

        var first = await host.Ranking.SearchAsync(request, cancellationToken: TestContext.Current.CancellationToken);
        var second = await host.Ranking.SearchAsync(request, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Contains(first.Results, r => r.Explanation.Any(e => e.Feature == Pipeline.TailExplanations.Diversity));
        Assert.Equal(first.Results.Select(r => (r.Pin.Id, r.Score)), second.Results.Select(r => (r.Pin.Id, r.Score)));
    }
}

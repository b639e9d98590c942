using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recommender.Contracts.Ranking.V1;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>Business rules through real gRPC: the same catalog in a tenant without rules and one with them.</summary>
public sealed class RankingRulesTests(RulesHostFixture host) : IClassFixture<RulesHostFixture>
{
    private const string Query = "toner";

    [Fact]
    public async Task Search_BuriedBrand_RanksLowerAndSaysSo()
    {
        var plain = await TailHostFixture.AllPagesAsync(host.PlainRanking, Query, 100);
        var ruled = await TailHostFixture.AllPagesAsync(host.RuledRanking, Query, 100);

        var plainXerox = MeanPosition(plain, "Xerox");
        var ruledXerox = MeanPosition(ruled, "Xerox");
        Assert.True(ruledXerox > plainXerox + 5, $"Xerox mean position {plainXerox:F1} without rules, {ruledXerox:F1} buried");
        var xerox = ruled.Where(r => r.Pin.Brand == "Xerox").ToList();
        Assert.NotEmpty(xerox);
        Assert.All(xerox, r => Assert.Contains(r.Explanation, e => e.Feature == TailExplanations.Bury && e.Contribution < 0));
        Assert.DoesNotContain(plain, r => r.Explanation.Any(e => e.Feature.StartsWith("rule:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Search_BoostedBrand_RanksHigherAndSaysSo()
    {
        var plain = await TailHostFixture.AllPagesAsync(host.PlainRanking, Query, 100);
        var ruled = await TailHostFixture.AllPagesAsync(host.RuledRanking, Query, 100);

        Assert.True(MeanPosition(ruled, "Brother") < MeanPosition(plain, "Brother") - 5,
            $"Brother mean position {MeanPosition(plain, "Brother"):F1} without rules, {MeanPosition(ruled, "Brother"):F1} boosted");
        Assert.All(ruled.Where(r => r.Pin.Brand == "Brother"),
            r => Assert.Contains(r.Explanation, e => e.Feature == TailExplanations.Boost && e.Contribution > 0));
    }

    [Fact]
    public async Task Search_BoostedPinId_MovesUp()
    {
        var id = host.BoostedToner.Id;
        var plain = await TailHostFixture.AllPagesAsync(host.PlainRanking, Query, 100);
        var ruled = await TailHostFixture.AllPagesAsync(host.RuledRanking, Query, 100);

        var before = plain.Single(r => r.Pin.Id == id).Position;
        var after = ruled.Single(r => r.Pin.Id == id);
        Assert.True(after.Position < before, $"boosted pin at {after.Position}, {before} without rules");
        Assert.Contains(after.Explanation, e => e.Feature == TailExplanations.Boost);
    }

    [Fact]
    public async Task Search_PinnedPinAmongCandidates_SitsAtItsPosition()
    {
        var plain = await TailHostFixture.AllPagesAsync(host.PlainRanking, Query, 100);
        Assert.True(plain.Single(r => r.Pin.Id == host.PinnedToner.Id).Position != 2, "the pin must not be at 2 on its own merit");

        var page = await host.RuledRanking.SearchAsync(new SearchRequest { Query = Query, PageSize = 5 }, cancellationToken: TestContext.Current.CancellationToken);

        var second = page.Results[1];
        Assert.Equal(host.PinnedToner.Id, second.Pin.Id);
        Assert.Equal(2, second.Position);
        Assert.Contains(second.Explanation, e => e.Feature == TailExplanations.Pinned && e.Value == 2);
    }

    [Fact]
    public async Task Search_PinnedPinNotAmongCandidates_IsNotInjected()
    {
        var page = await host.RuledRanking.SearchAsync(new SearchRequest { Query = "usb cable", PageSize = 100 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEmpty(page.Results);
        Assert.DoesNotContain(page.Results, r => r.Pin.Id == host.PinnedToner.Id);
    }

    [Fact]
    public async Task Search_OutOfStockPin_RanksBelowEveryInStockPin()
    {
        const string query = "ups battery";
        var top = (await host.RuledRanking.SearchAsync(new SearchRequest { Query = query, PageSize = 3 }, cancellationToken: TestContext.Current.CancellationToken)).Results[0];
        var pin = host.Pins.Single(p => p.Id == top.Pin.Id);
        await host.UpsertAsync(TailHostFixture.Ruled, [pin with { InStock = false }], version: 2);
        try
        {
            var all = await TailHostFixture.AllPagesAsync(host.RuledRanking, query, 100);

            var demoted = all.Single(r => r.Pin.Id == pin.Id);
            Assert.False(demoted.Pin.InStock);
            Assert.Contains(demoted.Explanation, e => e.Feature == TailExplanations.OutOfStock && e.Contribution < 0);
            Assert.All(all.Where(r => r.Pin.InStock), r => Assert.True(r.Position < demoted.Position, $"in-stock {r.Pin.Id} at {r.Position}"));
        }
        finally
        {
            await host.UpsertAsync(TailHostFixture.Ruled, [pin], version: 3);
        }
    }

    [Fact]
    public async Task RelatedPins_Rules_ApplyToo()
    {
        var xeroxToner = host.Pins.First(p => p.Brand == "Xerox" && p.Title.Contains("toner", StringComparison.OrdinalIgnoreCase));

        var related = await host.RuledRanking.RelatedPinsAsync(new RelatedPinsRequest { PinId = xeroxToner.Id, PageSize = 50 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Contains(related.Results, r => r.Pin.Brand == "Xerox");
        Assert.All(related.Results.Where(r => r.Pin.Brand == "Xerox"),
            r => Assert.Contains(r.Explanation, e => e.Feature == TailExplanations.Bury));
    }

    [Fact]
    public void Validate_BadRules_ListsEveryProblem()
    {
        var options = new RankingRulesOptions
        {
            Default = new RuleSet { BoostWeight = -1, Pinned = [new PinnedPin { PinId = "a", Position = 0 }] },
            Tenants = { ["t"] = new RuleSet { OutOfStockPenalty = double.NaN, BuryBrands = [""], Pinned = [new() { PinId = "a", Position = 1 }, new() { PinId = "b", Position = 1 }] } },
        };

        var result = new RankingRulesOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("Default:BoostWeight", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Pinned position of 'a' must be >= 1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Tenants:t:OutOfStockPenalty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Tenants:t:BuryBrands", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("two pins at one position", StringComparison.Ordinal));
        Assert.True(new RankingRulesOptionsValidator().Validate(null, new RankingRulesOptions()).Succeeded);
    }

    [Fact]
    public void Validate_ServiceStart_RejectsNegativeWeight()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.Configuration["Ranking:Rules:Tenants:x:BuryWeight"] = "-0.5";
        builder.AddRankingServices();
        using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<RankingRulesOptions>>().Value);
        Assert.Contains("Tenants:x:BuryWeight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelatedPins_UnknownPin_ReturnsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.RuledRanking.RelatedPinsAsync(new RelatedPinsRequest { PinId = "no-such-pin" }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static double MeanPosition(List<RankedPin> results, string brand) =>
        results.Where(r => r.Pin.Brand == brand).Select(r => (double)r.Position).DefaultIfEmpty(double.NaN).Average();
}

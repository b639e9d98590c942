using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Intent;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ranking.Tests;

/// <summary>
/// Vector (embedded store) + Ranking in one Kestrel host over real gRPC with real API keys, the Icecat sample loaded
/// into two tenants: <see cref="Plain"/> (no rules) and <see cref="Ruled"/> (the rules <see cref="Configure"/> sets).
/// Subclasses choose the rules and the diversity mode.
/// </summary>
public abstract class TailHostFixture : IAsyncLifetime
{
    public const string Plain = "plain";
    public const string Ruled = "ruled";
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "recommender-tail-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public static string ServiceKey { get; } = ApiKeyHasher.NewKey();

    public static string PlainKey { get; } = ApiKeyHasher.NewKey();

    public static string RuledKey { get; } = ApiKeyHasher.NewKey();

    public IReadOnlyList<PinData> Pins { get; } = TestData.IcecatSample;

    /// <summary>Storefront client of the tenant without rules.</summary>
    public RankingService.RankingServiceClient PlainRanking { get; private set; } = null!;

    /// <summary>Storefront client of the tenant with rules.</summary>
    public RankingService.RankingServiceClient RuledRanking { get; private set; } = null!;

    public VectorService.VectorServiceClient Vector { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>Adds the rules / diversity settings of this host.</summary>
    protected abstract void Configure(Dictionary<string, string?> settings);

    public async ValueTask InitializeAsync()
    {
        var settings = RankingTestHost.ApiKeys(
            ("plain-storefront", Plain, "Storefront", PlainKey),
            ("ruled-storefront", Ruled, "Storefront", RuledKey),
            ("service", "*", "Service", ServiceKey));
        settings["Ranking:VectorApiKey"] = ServiceKey;
        settings["Intent:PrewarmTenants:0"] = Plain;
        settings["Intent:PrewarmTenants:1"] = Ruled;
        // The plain tenant: no rules at all (not even out-of-stock demotion), the baseline order.
        settings["Ranking:Rules:Default:OutOfStock"] = "None";
        Configure(settings);
        (_app, var address) = await RankingTestHost.StartAsync(settings, _dataPath);

        _channel = GrpcChannel.ForAddress(address);
        PlainRanking = new RankingService.RankingServiceClient(_channel.WithApiKey(PlainKey));
        RuledRanking = new RankingService.RankingServiceClient(_channel.WithApiKey(RuledKey));
        Vector = new VectorService.VectorServiceClient(_channel.WithApiKey(ServiceKey));
        await UpsertAsync(Plain, Pins, 1);
        await UpsertAsync(Ruled, Pins, 1);
        var refresher = _app.Services.GetRequiredService<IntentRefreshService>();
        await refresher.RefreshAsync(Plain, CancellationToken.None);
        await refresher.RefreshAsync(Ruled, CancellationToken.None);
        await PlainRanking.SearchAsync(new Contracts.Ranking.V1.SearchRequest { Query = "warm up" });
    }

    /// <summary>Writes pins into a tenant through the vector Upsert RPC (version decides which write wins).</summary>
    public Task UpsertAsync(string tenant, IEnumerable<PinData> source, long version) =>
        RankingTestHost.UpsertAsync(_app!.Services, Vector, tenant, source, version);

    /// <summary>Every page of a search, following next_page_token.</summary>
    public static async Task<List<RankedPin>> AllPagesAsync(RankingService.RankingServiceClient client, string query, int pageSize)
    {
        var all = new List<RankedPin>();
        var token = "";
        do
        {
            var page = await client.SearchAsync(new Contracts.Ranking.V1.SearchRequest { Query = query, PageSize = pageSize, PageToken = token });
            all.AddRange(page.Results);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>Diversity off; the ruled tenant boosts Brother, buries Xerox, boosts and pins chosen toner pins, and demotes
/// out-of-stock pins to the bottom.</summary>
public sealed class RulesHostFixture : TailHostFixture
{
    /// <summary>A toner pin pinned to position 2.</summary>
    public PinData PinnedToner { get; }

    /// <summary>A toner pin boosted by id.</summary>
    public PinData BoostedToner { get; }

    public RulesHostFixture()
    {
        var toners = Pins.Where(p => p.Title.Contains("toner", StringComparison.OrdinalIgnoreCase)
            && !p.Brand.Equals("Xerox", StringComparison.OrdinalIgnoreCase) && !p.Brand.Equals("Brother", StringComparison.OrdinalIgnoreCase)).ToList();
        PinnedToner = toners[^1];
        BoostedToner = toners[^2];
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Ranking:Diversity:Mode"] = "None";
        settings[$"Ranking:Rules:Tenants:{Ruled}:BoostBrands:0"] = "Brother";
        settings[$"Ranking:Rules:Tenants:{Ruled}:BuryBrands:0"] = "xerox";
        settings[$"Ranking:Rules:Tenants:{Ruled}:BoostPins:0"] = BoostedToner.Id;
        settings[$"Ranking:Rules:Tenants:{Ruled}:BoostWeight"] = "0.5";
        settings[$"Ranking:Rules:Tenants:{Ruled}:BuryWeight"] = "0.5";
        settings[$"Ranking:Rules:Tenants:{Ruled}:Pinned:0:PinId"] = PinnedToner.Id;
        settings[$"Ranking:Rules:Tenants:{Ruled}:Pinned:0:Position"] = "2";
        settings[$"Ranking:Rules:Tenants:{Ruled}:OutOfStock"] = "Bottom";
    }
}

/// <summary>No rules anywhere; the default diversity (a brand cap of 3 per 10 positions).</summary>
public sealed class DiversityHostFixture : TailHostFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Ranking:Diversity:Mode"] = "BrandCap";
        settings["Ranking:Diversity:MaxPerBrand"] = "3";
        settings["Ranking:Diversity:Window"] = "10";
    }
}

using Recommender.ServiceDefaults.Security;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>
/// The vector service (embedded store) and the ranking service in one Kestrel host on a loopback port, talking to each
/// other over real gRPC, loaded with the 3,000-pin Icecat sample through the vector Upsert RPC. The remote intent
/// parser is on and points at a local OpenAI-compatible server whose answers each test can set.
/// </summary>
public sealed class SearchHostFixture : IAsyncLifetime
{
    public const string Tenant = "e2e";
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "recommender-intent-e2e-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public FakeChatServer Chat { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public RankingService.RankingServiceClient Ranking { get; private set; } = null!;

    public VectorService.VectorServiceClient Vector { get; private set; } = null!;

    public IReadOnlyList<PinData> Pins { get; } = TestData.IcecatSample;

    public IServiceProvider Services => _app!.Services;

    /// <summary>What the fake model answers by default: a valid intent that contradicts the query's hard constraints
    /// (a huge price_max, no exclusions); the merge must keep the grammar's.</summary>
    public static Task ContradictingAnswer(Microsoft.AspNetCore.Http.HttpContext ctx) => FakeChatServer.Content(ctx,
        """{"category":null,"brands":[],"excluded_brands":[],"colour":null,"material":null,"size":null,"price_min":null,"price_max":99999,"currency":"USD","price_sensitive":false,"negated_terms":[],"sort":"relevance"}""");

    public async ValueTask InitializeAsync()
    {
        Chat = await FakeChatServer.StartAsync();
        Chat.Answer = ContradictingAnswer;
        // Real API-key auth: the test's storefront and admin keys for the tenant, and the service key Ranking uses for Vector.
        var settings = RankingTestHost.ApiKeys(
            ("e2e-storefront", Tenant, "Storefront", StorefrontKey),
            ("service", "*", "Service", ServiceKey),
            ("e2e-admin", Tenant, "Admin", AdminKey));
        settings["Ranking:VectorApiKey"] = ServiceKey;
        settings["Ranking:Engagement:DataPath"] = Path.Combine(_dataPath, "engagement");
        settings["Intent:PrewarmTenants:0"] = Tenant;
        settings["Intent:Remote:Enabled"] = "true";
        settings["Intent:Remote:Endpoint"] = Chat.Endpoint.ToString();
        settings["Intent:Remote:Model"] = "qwen2.5-intent";
        // Generous for a loaded 2-core test machine; the tight 300 ms default is covered by RemoteIntentParserTests.
        settings["Intent:Remote:TimeoutMs"] = "2000";
        (_app, var address) = await RankingTestHost.StartAsync(settings, _dataPath);

        Channel = GrpcChannel.ForAddress(address);
        Ranking = new RankingService.RankingServiceClient(Channel.WithApiKey(StorefrontKey));
        Vector = new VectorService.VectorServiceClient(Channel.WithApiKey(ServiceKey));
        await RankingTestHost.UpsertAsync(_app.Services, Vector, Tenant, Pins, 1);

        // Learn the tenant's vocabulary now rather than waiting for the background refresher's timer.
        await _app.Services.GetRequiredService<IntentRefreshService>().RefreshAsync(Tenant, CancellationToken.None);

        // One search to warm the paths (JIT, HTTP connections) so the tests measure behaviour, not cold start.
        await Ranking.SearchAsync(new Contracts.Ranking.V1.SearchRequest { Tenant = Tenant, Query = "warm up" });
    }

    public static string StorefrontKey { get; } = ApiKeyHasher.NewKey();

    public static string ServiceKey { get; } = ApiKeyHasher.NewKey();

    public static string AdminKey { get; } = ApiKeyHasher.NewKey();

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Chat.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }
}

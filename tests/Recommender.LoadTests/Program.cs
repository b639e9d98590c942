using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.LoadTests;
using Recommender.Ranking;
using Recommender.Ranking.Intent;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.ServiceDefaults.Security;
using Recommender.Vector;

// Search load over gRPC. Without --target it starts Vector (embedded store) + Ranking in this process on a loopback
// port (Ranking calls Vector in process as services/Embedded does, or over loopback gRPC with --vector-transport grpc),
// loads --pins pins, and measures.
LoadOptions o;
try
{
    o = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message + Environment.NewLine + LoadOptions.Usage);
    return 2;
}

if (o.Help)
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

if (await ImageRuntime.RunWithImageSettingsAsync(o, args) is { } exitCode)
{
    return exitCode;
}

var tenant = "load";
WebApplication? app = null;
string? dataPath = null;
string address;
string apiKey;
string? serviceKeyForBreakdown = null;
List<PinData> catalog;
if (o.Target is null)
{
    catalog = Catalog.Build(o.Products, o.Pins, tenant);
    var port = FreePort();
    address = $"http://127.0.0.1:{port}";
    apiKey = ApiKeyHasher.NewKey();
    var serviceKey = ApiKeyHasher.NewKey();
    serviceKeyForBreakdown = serviceKey;
    dataPath = Path.Combine(Path.GetTempPath(), "recommender-load-" + Guid.NewGuid().ToString("N"));
    var builder = WebApplication.CreateBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Messaging:Transport"] = "InMemory",
        ["Vector:Backend"] = "Embedded",
        ["Vector:Embedded:DataPath"] = dataPath,
        ["Ranking:Engagement:DataPath"] = Path.Combine(dataPath, "engagement"),
        ["Ranking:VectorAddress"] = address,
        ["Ranking:CandidateCount"] = o.Candidates.ToString(CultureInfo.InvariantCulture),
        ["Auth:Mode"] = "ApiKeys",
        // The load measures capacity: keys are not rate limited here (the default is 500 requests/s per key; requests
        // over it are refused with RESOURCE_EXHAUSTED, which caps QPS and counts as errors).
        ["Auth:PermitsPerSecond"] = "0",
        ["Auth:Keys:0:Id"] = "load-storefront",
        ["Auth:Keys:0:Tenant"] = tenant,
        ["Auth:Keys:0:Role"] = "Storefront",
        ["Auth:Keys:0:Hash"] = ApiKeyHasher.Hash(apiKey),
        ["Auth:Keys:1:Id"] = "service",
        ["Auth:Keys:1:Tenant"] = "*",
        ["Auth:Keys:1:Role"] = "Service",
        ["Auth:Keys:1:Hash"] = ApiKeyHasher.Hash(serviceKey),
        ["Ranking:VectorApiKey"] = serviceKey,
        ["Intent:PrewarmTenants:0"] = tenant,
        ["Ranking:Diversity:Mode"] = o.Diversity.Length > 0 ? o.Diversity : null,
    });
    builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
    builder.AddRecommenderDefaults();
    builder.AddVectorServices();
    builder.AddRankingServices();
    if (o.VectorTransport == "inprocess")
    {
        builder.AddInProcessVectorClient();
    }

    builder.AddRecommenderMessaging();
    app = builder.Build();
    app.MapRecommenderDefaults();
    app.MapVectorEndpoints();
    app.MapRankingEndpoints();
    await app.StartAsync();

    var load = Stopwatch.StartNew();
    using (var seedChannel = GrpcChannel.ForAddress(address))
    {
        await Catalog.UpsertAsync(new VectorService.VectorServiceClient(seedChannel.WithApiKey(serviceKey)),
            app.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), catalog);
    }

    await app.Services.GetRequiredService<IntentRefreshService>().RefreshAsync(tenant, CancellationToken.None);
    await app.Services.WaitForVectorIndexesAsync(CancellationToken.None);
    Console.WriteLine($"loaded {catalog.Count:N0} pins in {load.Elapsed.TotalSeconds:F1} s; server at {address}; Ranking -> Vector {o.VectorTransport}; {ImageRuntime.Describe()}");
}
else
{
    address = o.Target;
    apiKey = o.ApiKey ?? "";
    catalog = Catalog.Build(o.Products, Math.Min(o.Pins, 20_000), tenant);
}

var queries = QueryMix.Build(catalog, o.Queries, seed: 7);
Console.WriteLine($"{queries.Count} distinct queries, e.g. {string.Join(" | ", queries.Take(6))}");

using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
{
    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
});
var client = new RankingService.RankingServiceClient(apiKey.Length > 0 ? channel.WithApiKey(apiKey) : channel.CreateCallInvoker());

if (o.RpcFloor > 0 && app is not null)
{
    using var floorChannel = GrpcChannel.ForAddress(address);
    var vectorClient = new VectorService.VectorServiceClient(floorChannel.WithApiKey(serviceKeyForBreakdown!));
    var times = new List<double>(o.RpcFloor);
    for (var i = 0; i < o.RpcFloor + 200; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await vectorClient.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = tenant });
        if (i >= 200)
        {
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    times.Sort();
    Console.WriteLine($"rpc floor (GetCollectionInfo, one at a time, {o.RpcFloor} calls): p50 {times[times.Count / 2]:F3} ms, p90 {times[(int)(times.Count * 0.9)]:F3} ms, p99 {times[(int)(times.Count * 0.99)]:F3} ms");
}

if (o.Recall > 0 && app is not null)
{
    await RecallCheck.RunAsync(app.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), catalog, queries, o.Recall, o.Candidates);
    if (o.Seconds == 0)
    {
        await ShutdownAsync();
        return 0;
    }
}

if (o.DiversityCheck > 0 && app is not null)
{
    using var vectorChannel = GrpcChannel.ForAddress(address);
    await DiversityCheck.RunAsync(app.Services, new VectorService.VectorServiceClient(vectorChannel.WithApiKey(serviceKeyForBreakdown!)), tenant, catalog, o.DiversityCheck);
    if (o.Seconds == 0)
    {
        await ShutdownAsync();
        return 0;
    }
}

var reports = await LoadRunner.RunAsync(client, queries, o);
LoadReport.PrintSummary(reports, o);

if (o.Breakdown > 0 && app is not null)
{
    // After the load: every stage is compiled at its final tier by then (before it, the stages ran partly unoptimised).
    // The client Ranking itself uses: in process or over loopback gRPC, as --vector-transport says.
    await Breakdown.RunAsync(app.Services, app.Services.GetRequiredService<VectorService.VectorServiceClient>(), tenant, queries, o.Breakdown);
}

await ShutdownAsync();
return 0;

// Stops the in-process server and deletes its data (the store and the search log).
async Task ShutdownAsync()
{
    if (app is not null)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    if (dataPath is not null && Directory.Exists(dataPath))
    {
        Directory.Delete(dataPath, recursive: true);
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

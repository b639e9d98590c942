using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Embeddings;
using Recommender.Embeddings.Training;
using Recommender.Ingestion;
using Recommender.Ingestion.Pipeline;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Embeddings.Benchmarks;

/// <summary>
/// Pushes N Icecat pins end to end: a gRPC client streams them (StreamPins, 1,000 pins a message) to the Ingestion
/// service, which embeds them and publishes PinsEmbedded batches to a real RabbitMQ (publisher confirms on); the Vector
/// consumer writes them to the embedded store persisted (fsync) in a temp folder. Reports pins/s from the first send
/// until the store holds all N, after a profile of each stage alone on the same pins.
/// </summary>
public static class IngestLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args(args);
        var rabbitPort = int.Parse(options.GetValueOrDefault("rabbit-port", "0"), CultureInfo.InvariantCulture);
        var count = int.Parse(options.GetValueOrDefault("pins", "50000"), CultureInfo.InvariantCulture);
        var eventBatch = int.Parse(options.GetValueOrDefault("event-batch", "1000"), CultureInfo.InvariantCulture);
        var products = options.GetValueOrDefault("products", Path.Combine(FindRepoRoot(), "../shared/data/icecat_chorus/products.jsonl.gz"));
        var pins = MakePins(CatalogFiles.ReadProducts(products), count);
        Console.WriteLine($"{pins.Count:N0} pins from {products}; {Environment.ProcessorCount} cores; event batch {eventBatch}");

        await ProfileStagesAsync(pins, eventBatch);
        if (rabbitPort == 0)
        {
            Console.WriteLine("No --rabbit-port: end-to-end run skipped.");
            return 0;
        }

        return await EndToEndAsync(pins, rabbitPort, eventBatch, options.ContainsKey("memory-store"));
    }

    private static async Task ProfileStagesAsync(List<Pin> pins, int eventBatch)
    {
        var embedder = new PinEmbedder(new LocalEmbeddingGenerator(LocalEmbedderLoader.Load(new EmbeddingOptions(), NullLogger.Instance)));
        var data = pins.Select(p => p.ToPinData("load", 1)).ToList();
        var started = Stopwatch.GetTimestamp();
        var embedded = new List<List<EmbeddedPin>>();
        foreach (var chunk in data.Chunk(eventBatch))
        {
            embedded.Add(await embedder.EmbedAsync(chunk, CancellationToken.None));
        }

        Report($"embed (dense + sparse, {Environment.ProcessorCount} workers)", pins.Count, started);

        started = Stopwatch.GetTimestamp();
        long bytes = 0;
        var messages = new List<byte[]>();
        foreach (var batch in embedded)
        {
            messages.Add(JsonSerializer.SerializeToUtf8Bytes(new PinsEmbedded(Guid.NewGuid(), DateTimeOffset.UtcNow, batch)));
            bytes += messages[^1].Length;
        }

        Report($"serialize PinsEmbedded as JSON ({bytes / pins.Count:N0} B/pin)", pins.Count, started);
        started = Stopwatch.GetTimestamp();
        foreach (var message in messages)
        {
            _ = JsonSerializer.Deserialize<PinsEmbedded>(message);
        }

        Report("deserialize PinsEmbedded from JSON", pins.Count, started);
        started = Stopwatch.GetTimestamp();
        foreach (var chunk in pins.Chunk(1000))
        {
            var request = new UpsertPinsRequest { Tenant = "load", Pins = { chunk } };
            var parsed = UpsertPinsRequest.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(request));
            var violations = new Recommender.ServiceDefaults.Grpc.Violations();
            for (var i = 0; i < parsed.Pins.Count; i++)
            {
                PinValidator.Validate(parsed.Pins[i], "pins", violations);
                _ = parsed.Pins[i].ToPinData("load", 1);
            }
        }

        Report("gRPC request protobuf round trip + validate + map", pins.Count, started);

        var folder = Directory.CreateTempSubdirectory("ingest-load-store-").FullName;
        try
        {
            using var store = new EmbeddedVectorStore(
                Options.Create(new EmbeddedStoreOptions { DataPath = folder }), Options.Create(new VectorSearchOptions()),
                new HostingEnvironment { ContentRootPath = folder }, NullLogger<EmbeddedVectorStore>.Instance);
            started = Stopwatch.GetTimestamp();
            foreach (var batch in embedded)
            {
                await store.UpsertAsync(batch.Select(p => new StoredPoint(p.Pin, DenseVectorCodec.Decode(p.Dense),
                    new SparseVector(p.SparseIndices, p.SparseValues), p.EmbedderVersion)).ToList(), CancellationToken.None);
            }

            Report("store upsert with fsync (one batch per call)", pins.Count, started);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static async Task<int> EndToEndAsync(List<Pin> pins, int rabbitPort, int eventBatch, bool memoryStore)
    {
        var folder = Directory.CreateTempSubdirectory("ingest-load-e2e-").FullName;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vector:Embedded:DataPath"] = memoryStore ? "" : folder,
            ["Messaging:Transport"] = "RabbitMq",
            ["Messaging:RabbitMq:Host"] = "127.0.0.1",
            ["Messaging:RabbitMq:Port"] = rabbitPort.ToString(CultureInfo.InvariantCulture),
            ["Messaging:PrefetchCount"] = "16",
            ["Messaging:ConcurrentMessageLimit"] = "4",
            ["Ingestion:EventBatchSize"] = eventBatch.ToString(CultureInfo.InvariantCulture),
            ["Ingestion:MaxPinsPerRequest"] = "1000",
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.AddRecommenderDefaults();
        builder.AddIngestionServices();
        builder.AddVectorServices();
        builder.AddRecommenderMessaging();
        await using var app = builder.Build();
        app.MapIngestionEndpoints();
        await app.StartAsync();
        await app.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var channel = GrpcChannel.ForAddress(address);
        var client = new IngestionService.IngestionServiceClient(channel);
        var store = app.Services.GetRequiredService<IVectorStore>();

        // Warm-up: declares the topology and JITs the path.
        await client.UpsertPinsAsync(new UpsertPinsRequest { Tenant = "warmup", Pins = { pins.Take(100) } });
        while ((await store.GetStatsAsync("warmup", CancellationToken.None)).Count < 100)
        {
            await Task.Delay(20);
        }

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        using (var call = client.StreamPins())
        {
            foreach (var chunk in pins.Chunk(1000))
            {
                await call.RequestStream.WriteAsync(new UpsertPinsRequest { Tenant = "load", Pins = { chunk } });
            }

            await call.RequestStream.CompleteAsync();
            await call;
        }

        var published = Stopwatch.GetElapsedTime(started);
        long stored;
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while ((stored = (await store.GetStatsAsync("load", CancellationToken.None)).Count) < pins.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var total = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"end to end via RabbitMQ on 127.0.0.1:{rabbitPort} ({(memoryStore ? "in-memory" : "fsync'd")} store): " +
            $"{stored:N0} pins stored in {total.TotalSeconds:F2} s = {stored / total.TotalSeconds:N0} pins/s " +
            $"(all published after {published.TotalSeconds:F2} s); this process used {cpu.TotalSeconds:F1} s CPU = " +
            $"{cpu.TotalMicroseconds / stored:F0} µs CPU per pin (the broker's CPU not included)");
        await app.StopAsync();
        Directory.Delete(folder, true);
        return stored == pins.Count ? 0 : 1;
    }

    private static List<Pin> MakePins(List<CatalogProduct> products, int count)
    {
        var pins = new List<Pin>(count);
        for (var i = 0; i < count; i++)
        {
            var p = products[i % products.Count];
            var pin = new Pin
            {
                Id = $"icecat-{p.Id}-{i / products.Count}",
                Title = p.Title.Length > 500 ? p.Title[..500] : p.Title,
                Description = p.Description,
                Brand = p.Brand,
                Version = 1,
            };
            pin.CategoryPath.Add(p.Categories);
            foreach (var (key, value) in p.Attributes.Take(12))
            {
                pin.Attributes[key] = value;
            }

            pins.Add(pin);
        }

        return pins;
    }

    private static void Report(string stage, int pins, long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"  {stage,-55} {seconds,7:F2} s  {pins / seconds,10:N0} pins/s");
    }

    private static Dictionary<string, string> Args(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                result[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            }
        }

        return result;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Recommender.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}

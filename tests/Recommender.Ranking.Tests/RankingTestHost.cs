using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.ServiceDefaults.Security;
using Recommender.Vector;

namespace Recommender.Ranking.Tests;

/// <summary>What the test hosts share: Vector (embedded store) + Ranking in one Kestrel host on a free loopback port
/// (HTTP/2, wired as services/Embedded wires them, Ranking calling Vector over real gRPC), and seeding pins through
/// the vector Upsert RPC.</summary>
public static class RankingTestHost
{
    /// <summary>Starts the host; <paramref name="settings"/> get the in-memory bus, the embedded store at
    /// <paramref name="dataPath"/> and Ranking's vector address added.</summary>
    public static async Task<(WebApplication App, string Address)> StartAsync(Dictionary<string, string?> settings, string dataPath)
    {
        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        settings["Messaging:Transport"] = "InMemory";
        settings["Vector:Backend"] = "Embedded";
        settings["Vector:Embedded:DataPath"] = dataPath;
        settings["Ranking:VectorAddress"] = address;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.AddRecommenderDefaults();
        builder.AddVectorServices();
        builder.AddRankingServices();
        builder.AddRecommenderMessaging();
        var app = builder.Build();
        app.MapRecommenderDefaults();
        app.MapVectorEndpoints();
        app.MapRankingEndpoints();
        await app.StartAsync();
        return (app, address);
    }

    /// <summary>Real API-key auth settings (<c>Auth:Mode</c> ApiKeys and one <c>Auth:Keys:i</c> entry per key, only
    /// its hash); add to a host's settings.</summary>
    public static Dictionary<string, string?> ApiKeys(params (string Id, string Tenant, string Role, string Key)[] keys)
    {
        var settings = new Dictionary<string, string?> { ["Auth:Mode"] = "ApiKeys" };
        for (var i = 0; i < keys.Length; i++)
        {
            var prefix = $"Auth:Keys:{i.ToString(CultureInfo.InvariantCulture)}:";
            settings[prefix + "Id"] = keys[i].Id;
            settings[prefix + "Tenant"] = keys[i].Tenant;
            settings[prefix + "Role"] = keys[i].Role;
            settings[prefix + "Hash"] = ApiKeyHasher.Hash(keys[i].Key);
        }

        return settings;
    }

    /// <summary>Writes pins into a tenant through the vector Upsert RPC (version decides which write wins), embedded
    /// with the host's own embedder.</summary>
    public static async Task UpsertAsync(
        IServiceProvider services, VectorService.VectorServiceClient vector, string tenant, IEnumerable<PinData> source, long version)
    {
        var generator = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var embedderVersion = generator.ModelVersion();
        foreach (var batch in source.Chunk(500))
        {
            var pins = batch.Select(p => p with { Tenant = tenant, Version = version }).ToList();
            var embeddings = await generator.GenerateAsync(pins.Select(PinText.Of));
            var request = new UpsertRequest();
            for (var i = 0; i < pins.Count; i++)
            {
                var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pins[i])));
                var point = new VectorPoint { Pin = pins[i].ToProto(), EmbedderVersion = embedderVersion, Sparse = sparse.ToProto() };
                point.Dense.Add(embeddings[i].Vector.ToArray());
                request.Points.Add(point);
            }

            var response = await vector.UpsertAsync(request);
            Assert.Equal(pins.Count, response.Applied);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

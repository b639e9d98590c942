using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recommender.Embeddings;
using Recommender.Embeddings.Remote;

namespace Recommender.Ingestion.Tests;

/// <summary>Against a local Kestrel server that speaks the OpenAI /v1/embeddings protocol.</summary>
public class OpenAICompatibleEmbeddingGeneratorTests
{
    private sealed class FakeEmbeddingServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _calls;

        private FakeEmbeddingServer(WebApplication app) => _app = app;

        public Func<int, HttpContext, Task<bool>>? Behaviour { get; set; }

        public int Calls => _calls;

        public List<JsonElement> Requests { get; } = [];

        public string BaseUrl { get; private set; } = "";

        public static async Task<FakeEmbeddingServer> StartAsync(int dimensions)
        {
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new FakeEmbeddingServer(app);
            app.MapPost("/v1/embeddings", async (HttpContext context) =>
            {
                var call = Interlocked.Increment(ref server._calls);
                var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
                lock (server.Requests)
                {
                    server.Requests.Add(body);
                }

                if (server.Behaviour is { } behaviour && await behaviour(call, context))
                {
                    return;
                }

                var inputs = body.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToList();
                await context.Response.WriteAsJsonAsync(new
                {
                    @object = "list",
                    model = body.GetProperty("model").GetString(),
                    data = inputs.Select((text, i) => new
                    {
                        @object = "embedding",
                        index = i,
                        embedding = Enumerable.Range(0, dimensions).Select(d => (float)((text.Length + d) % 7) + 1f).ToArray(),
                    }),
                });
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First() + "/v1";
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static OpenAICompatibleEmbeddingGenerator Client(FakeEmbeddingServer server, int dimensions = 8, int timeoutMs = 2_000, int retries = 2) =>
        new(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new EmbeddingOptions
        {
            Provider = EmbeddingProvider.OpenAICompatible,
            Endpoint = server.BaseUrl,
            Model = "nomic-embed-text",
            Dimensions = dimensions,
            ApiKey = "secret",
            TimeoutMs = timeoutMs,
            MaxRetries = retries,
            RetryBaseDelayMs = 10,
        });

    [Fact]
    public async Task GenerateAsync_ValidAnswer_ReturnsNormalisedVectorsStampedWithVersion()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        string? auth = null;
        server.Behaviour = (_, context) =>
        {
            auth = context.Request.Headers.Authorization;
            return Task.FromResult(false);
        };
        using var generator = Client(server);

        var result = await generator.GenerateAsync(["boho rug", "usb cable"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Count);
        Assert.All(result, e => Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(e.Vector.Span), 3));
        Assert.Equal("openai:nomic-embed-text:8", generator.ModelVersion());
        Assert.Equal("openai:nomic-embed-text:8", result[0].ModelId);
        Assert.Equal("Bearer secret", auth);
        Assert.Equal("nomic-embed-text", server.Requests[0].GetProperty("model").GetString());
    }

    [Fact]
    public async Task GenerateAsync_ServerErrorThenSuccess_Retries()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        server.Behaviour = async (call, context) =>
        {
            if (call > 1)
            {
                return false;
            }

            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("model loading");
            return true;
        };
        using var generator = Client(server);

        var result = await generator.GenerateAsync(["boho rug"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Single(result);
        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task GenerateAsync_AlwaysFailing_ThrowsNamingEndpointAndStatus()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        server.Behaviour = async (_, context) =>
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("overloaded");
            return true;
        };
        using var generator = Client(server, retries: 2);

        var ex = await Assert.ThrowsAsync<EmbeddingProviderException>(() =>
            generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains(server.BaseUrl + "/embeddings", ex.Message, StringComparison.Ordinal);
        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempt", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Calls);
    }

    [Fact]
    public async Task GenerateAsync_BadRequest_FailsWithoutRetry()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        server.Behaviour = async (_, context) =>
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("{\"error\":\"unknown model\"}");
            return true;
        };
        using var generator = Client(server);

        var ex = await Assert.ThrowsAsync<EmbeddingProviderException>(() =>
            generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("400", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown model", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Calls);
    }

    [Fact]
    public async Task GenerateAsync_SlowServer_TimesOutAfterRetries()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        using var generator = Client(server, timeoutMs: 500, retries: 1);

        // One answered call first, so connection set-up and JIT on a busy machine do not eat the budget before a slow
        // request has even reached the server. On a loaded machine the warm-up itself may need its retry, so the slow
        // attempts are counted by the slow behaviour, not by the server's total.
        await generator.GenerateAsync(["warm"], cancellationToken: TestContext.Current.CancellationToken);
        var slowCalls = 0;
        server.Behaviour = async (_, context) =>
        {
            Interlocked.Increment(ref slowCalls);
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return true;
        };

        var ex = await Assert.ThrowsAsync<EmbeddingProviderException>(() =>
            generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("no answer within 500 ms", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Volatile.Read(ref slowCalls)); // the slow request and its one retry
    }

    [Fact]
    public async Task GenerateAsync_WrongDimensions_ThrowsClearError()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(12);
        using var generator = Client(server, dimensions: 8);

        var ex = await Assert.ThrowsAsync<EmbeddingProviderException>(() =>
            generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("12-dimensional", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Embeddings:Dimensions is 8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_LargeInput_IsSentInBatches()
    {
        await using var server = await FakeEmbeddingServer.StartAsync(8);
        using var generator = new OpenAICompatibleEmbeddingGenerator(new HttpClient(), new EmbeddingOptions
        {
            Endpoint = server.BaseUrl, Model = "m", Dimensions = 8, MaxBatchSize = 4,
        });

        var result = await generator.GenerateAsync(Enumerable.Range(0, 10).Select(i => $"text {i}"), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(10, result.Count);
        Assert.Equal(3, server.Calls);
    }
}

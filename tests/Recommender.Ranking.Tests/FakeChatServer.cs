using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recommender.Ranking.Tests;

/// <summary>
/// A local HTTP server speaking the OpenAI chat-completions protocol (POST /v1/chat/completions), standing in for an
/// open model served by Ollama, vLLM or llama.cpp. Each test sets how it answers.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeChatServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The base URL to configure as Intent:Remote:Endpoint (ends in /v1/).</summary>
    public Uri Endpoint { get; }

    /// <summary>Bodies of the requests received, in order.</summary>
    public List<JsonDocument> Requests { get; } = [];

    /// <summary>How the next requests are answered.</summary>
    public Func<HttpContext, Task> Answer { get; set; } = ctx => Content(ctx, "{}");

    public static async Task<FakeChatServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeChatServer? server = null;
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            var body = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            lock (server!.Requests)
            {
                server.Requests.Add(body);
            }

            await server.Answer(ctx);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FakeChatServer(app, new Uri(address.TrimEnd('/') + "/v1/"));
        return server;
    }

    /// <summary>Answers with a chat completion whose assistant message is <paramref name="content"/>.</summary>
    public static Task Content(HttpContext ctx, string content)
    {
        var completion = new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 1_763_856_000,
            model = "qwen2.5-intent",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 120, completion_tokens = 40, total_tokens = 160 },
        };
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(completion), ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var r in Requests)
        {
            r.Dispose();
        }
    }
}

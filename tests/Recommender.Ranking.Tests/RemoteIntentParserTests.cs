using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>The open-model parser against a local server speaking the OpenAI chat-completions protocol.</summary>
public sealed class RemoteIntentParserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly CatalogVocabulary Vocabulary = CatalogVocabulary.Build(TestCatalog.Pins());
    private static readonly EmbeddedIntentParser Embedded = new(Vocabulary, classifier: null);
    private FakeChatServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FakeChatServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ParseAsync_ValidAnswer_MergesWithTheEmbeddedParse()
    {
        _server.Answer = ctx => FakeChatServer.Content(ctx,
            """{"category":"Mice","brands":[],"excluded_brands":["logitech"],"colour":null,"material":null,"size":null,"price_min":null,"price_max":30,"currency":"USD","price_sensitive":false,"negated_terms":[],"sort":"best_rated"}""");
        var parser = Create(timeoutMs: 5_000);
        var embedded = Embedded.Parse("something to click with, not logitech, below 30 dollars");

        var intent = await parser.ParseAsync(embedded, Vocabulary, TestContext.Current.CancellationToken);

        Assert.Equal(IntentParsers.Remote, intent.Parser);
        Assert.Equal("Mice", intent.Category);
        Assert.Equal(IntentMerger.RemoteCategoryConfidence, intent.CategoryConfidence);
        Assert.Equal(["Logitech"], intent.ExcludedBrands);
        Assert.Equal(30, intent.PriceMax);
        Assert.Equal(IntentSort.BestRated, intent.Sort);
        Assert.Equal(embedded.Text, intent.Text);

        var request = Assert.Single(_server.Requests).RootElement;
        Assert.Equal("qwen2.5-intent", request.GetProperty("model").GetString());
        var messages = request.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal(IntentPrompt.System, messages[0].GetProperty("content").GetString());
        Assert.Equal(embedded.NormalizedQuery, messages[1].GetProperty("content").GetString());
        Assert.Equal("json_schema", request.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ParseAsync_ModelInventsConstraints_UngroundedOnesAreDropped()
    {
        // Nothing in the query says 500, Microsoft or Canon: a hallucinated hard filter must not reach the store.
        _server.Answer = ctx => FakeChatServer.Content(ctx,
            """{"category":"Underwater Cameras","brands":["Canon"],"excluded_brands":["Microsoft"],"colour":"black","material":null,"size":null,"price_min":500,"price_max":null,"currency":"USD","price_sensitive":false,"negated_terms":["wool"],"sort":"relevance"}""");
        var parser = Create(timeoutMs: 5_000);
        var embedded = Embedded.Parse("wireless mouse under $40");

        var intent = await parser.ParseAsync(embedded, Vocabulary, TestContext.Current.CancellationToken);

        Assert.Equal(IntentParsers.Remote, intent.Parser);
        Assert.Null(intent.PriceMin);
        Assert.Equal(40, intent.PriceMax);
        Assert.Empty(intent.ExcludedBrands);
        Assert.Empty(intent.NegatedTerms);
        Assert.Equal(embedded.Category, intent.Category); // not a catalog category: the embedded one stays
        Assert.Equal(["Canon"], intent.Brands); // a soft slot: kept when it is a catalog brand
        Assert.Equal("black", intent.Colour);
    }

    [Theory]
    [InlineData("Sure! Here is the intent: {\"category\": ")]
    [InlineData("{\"price_min\": 50, \"price_max\": 20}")]
    [InlineData("{\"sort\": \"by_vibes\"}")]
    [InlineData("")]
    public async Task ParseAsync_InvalidAnswer_FallsBackToTheEmbeddedParse(string content)
    {
        _server.Answer = ctx => FakeChatServer.Content(ctx, content);
        var parser = Create(timeoutMs: 5_000);
        var embedded = Embedded.Parse("wireless mouse not logitech under $40");

        var intent = await parser.ParseAsync(embedded, Vocabulary, TestContext.Current.CancellationToken);

        Assert.Equal(IntentParsers.Fallback, intent.Parser);
        Assert.Equal(embedded with { Parser = IntentParsers.Fallback }, intent);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ParseAsync_ServerError500_FallsBackWithoutRetrying()
    {
        _server.Answer = ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return ctx.Response.WriteAsync("""{"error":{"message":"model crashed","type":"server_error"}}""");
        };
        var parser = Create(timeoutMs: 5_000);
        var embedded = Embedded.Parse("hp toner under $50");

        var intent = await parser.ParseAsync(embedded, Vocabulary, TestContext.Current.CancellationToken);

        Assert.Equal(IntentParsers.Fallback, intent.Parser);
        Assert.Equal(50, intent.PriceMax);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ParseAsync_SlowAnswer_FallsBackWithinTheTimeout()
    {
        _server.Answer = async ctx =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await FakeChatServer.Content(ctx, """{"sort":"relevance"}""");
        };
        var parser = Create(timeoutMs: 300);
        var embedded = Embedded.Parse("hp toner under $50");

        var watch = Stopwatch.StartNew();
        var intent = await parser.ParseAsync(embedded, Vocabulary, TestContext.Current.CancellationToken);
        watch.Stop();
        output.WriteLine($"fell back after {watch.ElapsedMilliseconds} ms (timeout 300 ms, server answers after 5,000 ms)");

        Assert.Equal(IntentParsers.Fallback, intent.Parser);
        Assert.Equal(50, intent.PriceMax);
        // The bound is the timeout; the margin is generous for a loaded 2-core machine, far below the 5 s answer.
        Assert.InRange(watch.ElapsedMilliseconds, 250, 300 + 1_500);
    }

    [Fact]
    public void Options_EnabledWithoutEndpoint_FailValidation()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Intent:Remote:Enabled"] = "true" });
        builder.AddRankingServices();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RemoteIntentOptions>>().Value);
        Assert.Contains("Intent:Remote:Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreOffWith300MsTimeout()
    {
        var options = new RemoteIntentOptions();

        Assert.False(options.Enabled);
        Assert.Equal(300, options.TimeoutMs);
    }

    private RemoteIntentParser Create(int timeoutMs)
    {
        var options = new RemoteIntentOptions { Enabled = true, Endpoint = _server.Endpoint, Model = "qwen2.5-intent", TimeoutMs = timeoutMs };
        return new RemoteIntentParser(RemoteIntentParser.CreateClient(options), Options.Create(options), NullLogger<RemoteIntentParser>.Instance);
    }
}

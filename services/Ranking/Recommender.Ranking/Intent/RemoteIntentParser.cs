using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Asks an open model (through <see cref="IChatClient"/>) for the intent as JSON, validates the answer and merges it
/// with the embedded parse (<see cref="IntentMerger"/>). On timeout, error or an invalid answer it returns the embedded
/// parse marked <see cref="IntentParsers.Fallback"/> and logs why. It never takes longer than
/// <see cref="RemoteIntentOptions.TimeoutMs"/>: the wait is bounded even if the client ignores cancellation.
/// </summary>
public sealed partial class RemoteIntentParser(IChatClient client, IOptions<RemoteIntentOptions> options, ILogger<RemoteIntentParser> logger)
{
    private static readonly JsonElement SchemaElement = JsonDocument.Parse(IntentJson.Schema).RootElement.Clone();
    private readonly RemoteIntentOptions _options = options.Value;

    /// <summary>An <see cref="IChatClient"/> over the OpenAI chat-completions protocol at the configured endpoint,
    /// with the SDK's own retries off (the timeout budget has no room for them).</summary>
    public static IChatClient CreateClient(RemoteIntentOptions options)
    {
        var endpoint = options.Endpoint ?? throw new InvalidOperationException("Intent:Remote:Endpoint is required when the remote parser is enabled.");
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromMilliseconds(Math.Max(1_000, options.TimeoutMs * 4)),
        };
        var key = string.IsNullOrEmpty(options.ApiKey) ? "unused" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(options.Model).AsIChatClient();
    }

    public async Task<ShoppingIntent> ParseAsync(ShoppingIntent embedded, CatalogVocabulary vocabulary, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var timeout = TimeSpan.FromMilliseconds(_options.TimeoutMs);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var chatOptions = new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = _options.MaxOutputTokens,
            ResponseFormat = _options.UseJsonSchema
                ? ChatResponseFormat.ForJsonSchema(SchemaElement, "shopping_intent", "A shopper's search query as a structured intent.")
                : ChatResponseFormat.Json,
        };
        List<ChatMessage> messages = [new(ChatRole.System, IntentPrompt.System), new(ChatRole.User, embedded.NormalizedQuery)];

        string reason;
        try
        {
            var response = await client.GetResponseAsync(messages, chatOptions, cts.Token).WaitAsync(timeout, cancellationToken);
            var answer = IntentJson.TryParse(response.Text, out var error);
            if (answer is not null)
            {
                var merged = IntentMerger.Merge(embedded, answer, vocabulary);
                LogAnswered(logger, embedded.NormalizedQuery, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return merged;
            }

            reason = $"invalid answer: {error}";
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            reason = $"no answer within {_options.TimeoutMs} ms";
        }
        catch (Exception ex) when (ex is ClientResultException or HttpRequestException or JsonException or InvalidOperationException)
        {
            reason = $"error: {ex.GetType().Name}: {ex.Message}";
        }

        LogFallback(logger, embedded.NormalizedQuery, reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return embedded with { Parser = IntentParsers.Fallback };
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "Remote intent parser answered '{Query}' in {Ms:F0} ms")]
    private static partial void LogAnswered(ILogger logger, string query, double ms);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning,
        Message = "Remote intent parser fell back to the embedded parse for '{Query}' after {Ms:F0} ms: {Reason}")]
    private static partial void LogFallback(ILogger logger, string query, string reason, double ms);
}

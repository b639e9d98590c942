using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Recommender.Embeddings.Remote;

/// <summary>
/// Calls an OpenAI-compatible <c>POST {endpoint}/embeddings</c> (Ollama, vLLM, Hugging Face TEI, OpenAI). Each try has
/// its own timeout; 408, 429, 5xx, timeouts and connection failures are retried with exponential back-off (honouring
/// Retry-After); any other failure, or vectors of the wrong width or count, fails at once with the endpoint and status
/// in the message. Vectors are L2-normalised before they leave, as the stores expect.
/// </summary>
public sealed class OpenAICompatibleEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const int MaxErrorBodyChars = 300;
    private readonly HttpClient _http;
    private readonly EmbeddingOptions _options;
    private readonly Uri _url;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public OpenAICompatibleEmbeddingGenerator(HttpClient http, EmbeddingOptions options)
    {
        _http = http;
        _options = options;
        var endpoint = options.Endpoint ?? throw new ArgumentException("Embeddings:Endpoint is required.", nameof(options));
        _url = new Uri(endpoint.TrimEnd('/') + "/embeddings");
        Version = $"openai:{options.Model}:{options.Dimensions}";
        _metadata = new EmbeddingGeneratorMetadata("openai-compatible", new Uri(endpoint), Version, options.Dimensions);
    }

    /// <summary>Stamped on every vector: provider, model and width.</summary>
    public string Version { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var chunk in values.Chunk(_options.MaxBatchSize))
        {
            var response = await SendWithRetriesAsync(chunk, cancellationToken);
            if (response.Data is not { } data || data.Count != chunk.Length)
            {
                throw new EmbeddingProviderException(
                    $"Embedding endpoint {_url} returned {response.Data?.Count ?? 0} vectors for {chunk.Length} inputs.");
            }

            foreach (var item in data.OrderBy(d => d.Index))
            {
                var vector = item.Embedding ?? [];
                if (vector.Length != _options.Dimensions)
                {
                    throw new EmbeddingProviderException(
                        $"Embedding endpoint {_url} (model '{_options.Model}') returned {vector.Length}-dimensional vectors; " +
                        $"Embeddings:Dimensions is {_options.Dimensions}.");
                }

                var norm = TensorPrimitives.Norm(vector);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(vector, norm, vector);
                }

                result.Add(new Embedding<float>(vector) { ModelId = Version, CreatedAt = DateTimeOffset.UtcNow });
            }
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private async Task<EmbeddingsResponse> SendWithRetriesAsync(string[] inputs, CancellationToken cancellationToken)
    {
        var request = new EmbeddingsRequest(_options.Model!, inputs, "float", _options.SendDimensions ? _options.Dimensions : null);
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.TimeoutMs);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, _url) { Content = JsonContent.Create(request) };
                if (!string.IsNullOrEmpty(_options.ApiKey))
                {
                    message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                }

                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync<EmbeddingsResponse>(timeout.Token)
                        ?? throw new EmbeddingProviderException($"Embedding endpoint {_url} returned an empty body.");
                }

                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                failure = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(body)}";
                if (!IsTransient(response.StatusCode))
                {
                    throw new EmbeddingProviderException($"Embedding endpoint {_url} (model '{_options.Model}') failed: {failure}");
                }

                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {_options.TimeoutMs} ms";
            }
            catch (HttpRequestException ex)
            {
                failure = $"connection failed: {ex.Message}";
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new EmbeddingProviderException($"Embedding endpoint {_url} returned JSON that is not an embeddings response: {ex.Message}", ex);
            }

            if (attempt > _options.MaxRetries)
            {
                throw new EmbeddingProviderException(
                    $"Embedding endpoint {_url} (model '{_options.Model}') failed after {attempt} attempt(s): {failure}");
            }

            var delay = TimeSpan.FromMilliseconds(_options.RetryBaseDelayMs * Math.Pow(2, attempt - 1));
            if (retryAfter is { } after && after > delay)
            {
                delay = after < TimeSpan.FromSeconds(30) ? after : TimeSpan.FromSeconds(30);
            }

            await Task.Delay(delay, cancellationToken);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static string Truncate(string body) => body.Length <= MaxErrorBodyChars ? body : body[..MaxErrorBodyChars] + "...";

    private sealed record EmbeddingsRequest(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("input")] string[] Input,
        [property: JsonPropertyName("encoding_format")] string EncodingFormat,
        [property: JsonPropertyName("dimensions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Dimensions);

    private sealed record EmbeddingsResponse(
        [property: JsonPropertyName("data")] List<EmbeddingItem>? Data,
        [property: JsonPropertyName("model")] string? Model);

    private sealed record EmbeddingItem(
        [property: JsonPropertyName("index")] int Index,
        [property: JsonPropertyName("embedding")] float[]? Embedding);
}

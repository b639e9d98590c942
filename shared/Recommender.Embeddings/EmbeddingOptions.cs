using System.ComponentModel.DataAnnotations;

namespace Recommender.Embeddings;

public enum EmbeddingProvider
{
    /// <summary>The in-house model (artifact at <see cref="EmbeddingOptions.ModelPath"/>), or the hashing embedder when absent.</summary>
    Local,

    /// <summary>Any OpenAI-compatible /v1/embeddings endpoint (Ollama, vLLM, TEI, ...).</summary>
    OpenAICompatible,
}

/// <summary>Section "Embeddings".</summary>
public sealed class EmbeddingOptions : IValidatableObject
{
    public const string Section = "Embeddings";

    public EmbeddingProvider Provider { get; set; } = EmbeddingProvider.Local;

    /// <summary>Folder of the trained embedder artifact (manifest.json + weights.bin). Relative paths are resolved
    /// against the application folder. Empty, or missing on disk, falls back to the hashing embedder.</summary>
    public string ModelPath { get; set; } = "models/embedder";

    /// <summary>Width of the hashing embedder (the fallback), and the width a remote endpoint must return.</summary>
    [Range(16, 8192)]
    public int Dimensions { get; set; } = 256;

    /// <summary>Base URL of the OpenAI-compatible API, e.g. http://localhost:11434/v1 (the client posts to {Endpoint}/embeddings).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model name sent to the endpoint, e.g. nomic-embed-text.</summary>
    public string? Model { get; set; }

    /// <summary>Optional bearer token (set from a secret: Embeddings__ApiKey).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Send "dimensions" in the request (for models that can shorten their vectors).</summary>
    public bool SendDimensions { get; set; }

    [Range(50, 600_000)]
    public int TimeoutMs { get; set; } = 10_000;

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    [Range(1, 10_000)]
    public int RetryBaseDelayMs { get; set; } = 200;

    /// <summary>Texts per request to the endpoint.</summary>
    [Range(1, 2048)]
    public int MaxBatchSize { get; set; } = 128;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider != EmbeddingProvider.OpenAICompatible)
        {
            yield break;
        }

        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult("Embeddings:Endpoint must be an absolute http(s) URL such as http://localhost:11434/v1.", [nameof(Endpoint)]);
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("Embeddings:Model must name the embedding model served at Embeddings:Endpoint.", [nameof(Model)]);
        }
    }
}

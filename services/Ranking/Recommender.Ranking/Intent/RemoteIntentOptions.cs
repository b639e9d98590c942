using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Section "Intent:Remote": an open model behind any OpenAI-compatible chat-completions endpoint (Ollama, vLLM,
/// llama.cpp server) asked for the intent as JSON. Off by default; the embedded parser always runs and answers
/// whenever the model is slow, failing or wrong.
/// </summary>
public sealed class RemoteIntentOptions
{
    public const string Section = "Intent:Remote";

    public bool Enabled { get; set; }

    /// <summary>Base URL including the API version path, e.g. http://localhost:11434/v1 (Ollama) or
    /// http://localhost:8000/v1 (vLLM). "chat/completions" is appended.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Model name the server knows, e.g. "qwen2.5:3b-instruct" or a LoRA adapter name.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Model { get; set; } = "qwen2.5:3b-instruct";

    /// <summary>Longest the search waits for the model; past it the embedded parse is used.</summary>
    [Range(10, 60_000)]
    public int TimeoutMs { get; set; } = 300;

    /// <summary>Sent as a bearer token when set (vLLM --api-key, hosted gateways). Ollama needs none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Ask for the JSON schema as the response format (json_schema); false sends json_object only, for servers
    /// without structured outputs.</summary>
    public bool UseJsonSchema { get; set; } = true;

    [Range(16, 4_096)]
    public int MaxOutputTokens { get; set; } = 256;
}

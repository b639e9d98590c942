namespace Recommender.Embeddings.Remote;

/// <summary>A remote embedding endpoint failed or answered something unusable; the message names the endpoint.</summary>
public sealed class EmbeddingProviderException(string message, Exception? inner = null) : Exception(message, inner);

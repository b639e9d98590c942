namespace Recommender.Embeddings;

/// <summary>
/// A local dense text embedder: the synchronous, allocation-light path used on hot paths. Exposed to the rest of
/// the system as <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> through
/// <see cref="LocalEmbeddingGenerator"/>.
/// </summary>
public interface ITextEmbedder
{
    /// <summary>Stamped on every vector; stores refuse queries of another version.</summary>
    string Version { get; }

    int Dimensions { get; }

    /// <summary>Writes an L2-normalised vector of <see cref="Dimensions"/> floats.</summary>
    void Embed(string text, Span<float> destination);
}

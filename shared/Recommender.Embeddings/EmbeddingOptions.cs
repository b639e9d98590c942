using System.ComponentModel.DataAnnotations;

namespace Recommender.Embeddings;

/// <summary>Section "Embeddings".</summary>
public sealed class EmbeddingOptions
{
    public const string Section = "Embeddings";

    /// <summary>Width of the built-in hashing embedder.</summary>
    [Range(16, 4096)]
    public int Dimensions { get; set; } = 256;
}

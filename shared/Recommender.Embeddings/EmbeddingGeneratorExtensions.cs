using Microsoft.Extensions.AI;

namespace Recommender.Embeddings;

public static class EmbeddingGeneratorExtensions
{
    /// <summary>The version stamped on this generator's vectors (its model id).</summary>
    public static string ModelVersion(this IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId
        ?? throw new InvalidOperationException("The embedding generator does not report a model id (version).");
}

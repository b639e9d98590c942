using Microsoft.Extensions.AI;

namespace Recommender.Embeddings;

/// <summary>Exposes a local <see cref="ITextEmbedder"/> through Microsoft.Extensions.AI.</summary>
public sealed class LocalEmbeddingGenerator(ITextEmbedder embedder) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata =
        new("recommender-local", null, embedder.Version, embedder.Dimensions);

    public ITextEmbedder Embedder => embedder;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vector = new float[embedder.Dimensions];
            embedder.Embed(value, vector);
            result.Add(new Embedding<float>(vector) { ModelId = embedder.Version, CreatedAt = DateTimeOffset.UtcNow });
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(embedder) ? embedder
        : null;

    public void Dispose()
    {
    }
}

using Microsoft.Extensions.AI;
using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Ingestion.Pipeline;

/// <summary>Turns validated pins into <see cref="EmbeddedPin"/>s: a dense vector from the configured embedder and a
/// sparse lexical vector from the shared tokenizer.</summary>
public sealed class PinEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator)
{
    public string Version { get; } = generator.ModelVersion();

    public async Task<List<EmbeddedPin>> EmbedAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
    {
        var embeddings = await generator.GenerateAsync(pins.Select(PinText.Of), cancellationToken: cancellationToken);
        if (embeddings.Count != pins.Count)
        {
            throw new InvalidOperationException($"The embedder returned {embeddings.Count} vectors for {pins.Count} pins.");
        }

        var result = new List<EmbeddedPin>(pins.Count);
        for (var i = 0; i < pins.Count; i++)
        {
            var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pins[i])));
            result.Add(new EmbeddedPin(pins[i], DenseVectorCodec.Encode(embeddings[i].Vector.Span), sparse.Indices, sparse.Values, Version));
        }

        return result;
    }
}

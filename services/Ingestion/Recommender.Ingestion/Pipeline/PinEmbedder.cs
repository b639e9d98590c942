using Microsoft.Extensions.AI;
using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Ingestion.Pipeline;

/// <summary>Turns validated pins into <see cref="EmbeddedPin"/>s: a dense vector from the configured embedder and a
/// sparse lexical vector from the shared tokenizer. With the local model, a batch is embedded on all cores straight
/// into the event's byte arrays; a remote generator gets the whole batch in one call.</summary>
public sealed class PinEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator)
{
    private const int MinPinsPerWorker = 64;
    private readonly ITextEmbedder? _local = generator.GetService<ITextEmbedder>();

    public string Version { get; } = generator.ModelVersion();

    public async Task<List<EmbeddedPin>> EmbedAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
    {
        var result = new EmbeddedPin[pins.Count];
        if (_local is { } local)
        {
            var workers = Math.Clamp(pins.Count / MinPinsPerWorker, 1, Environment.ProcessorCount);
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, w =>
            {
                var vector = new float[local.Dimensions];
                for (var i = w; i < pins.Count; i += workers)
                {
                    local.Embed(PinText.Of(pins[i]), vector);
                    result[i] = Make(pins[i], DenseVectorCodec.Encode(vector));
                }
            });
            return [.. result];
        }

        var embeddings = await generator.GenerateAsync(pins.Select(PinText.Of), cancellationToken: cancellationToken);
        if (embeddings.Count != pins.Count)
        {
            throw new InvalidOperationException($"The embedder returned {embeddings.Count} vectors for {pins.Count} pins.");
        }

        for (var i = 0; i < pins.Count; i++)
        {
            result[i] = Make(pins[i], DenseVectorCodec.Encode(embeddings[i].Vector.Span));
        }

        return [.. result];
    }

    private EmbeddedPin Make(PinData pin, byte[] dense)
    {
        var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin)));
        return new EmbeddedPin(pin, dense, sparse.Indices, sparse.Values, Version);
    }
}

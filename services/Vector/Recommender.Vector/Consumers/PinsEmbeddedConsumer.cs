using MassTransit;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Consumers;

/// <summary>
/// Stores embedded pins. Idempotent: the store ignores a version it already has, so a redelivered batch is harmless.
/// The message is acknowledged only after the store made the batch durable.
/// </summary>
public sealed partial class PinsEmbeddedConsumer(IVectorStore store, ILogger<PinsEmbeddedConsumer> logger) : IConsumer<PinsEmbedded>
{
    public async Task Consume(ConsumeContext<PinsEmbedded> context)
    {
        var message = context.Message;
        var points = new List<StoredPoint>(message.Pins.Count);
        foreach (var p in message.Pins)
        {
            if (p.SparseIndices.Length != p.SparseValues.Length)
            {
                throw new InvalidDataException($"Pin '{p.Pin.Id}': sparse indices and values differ in length.");
            }

            points.Add(new StoredPoint(p.Pin, DenseVectorCodec.Decode(p.Dense), new SparseVector(p.SparseIndices, p.SparseValues), p.EmbedderVersion));
        }

        var result = await store.UpsertAsync(points, context.CancellationToken);
        LogStored(logger, message.BatchId, result.Applied, result.Stale);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Batch {BatchId}: {Applied} pins stored, {Stale} stale")]
    private static partial void LogStored(ILogger logger, Guid batchId, int applied, int stale);
}

using MassTransit;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Consumers;

/// <summary>
/// Stores embedded pins. Idempotent: the store ignores a version it already has, so a redelivered batch is harmless.
/// The message is acknowledged only after the store made the batch durable. A malformed batch is refused whole
/// (to the _error queue, with the reason) before anything of it is stored.
/// </summary>
public sealed partial class PinsEmbeddedConsumer(IVectorStore store, ILogger<PinsEmbeddedConsumer> logger) : IConsumer<PinsEmbedded>
{
    public async Task Consume(ConsumeContext<PinsEmbedded> context)
    {
        var points = ToPoints(context.Message);
        var result = await store.UpsertAsync(points, context.CancellationToken);
        LogStored(logger, context.Message.BatchId, result.Applied, result.Stale);
    }

    public static List<StoredPoint> ToPoints(PinsEmbedded message)
    {
        if (message.Pins is null || message.Pins.Count == 0)
        {
            throw new PoisonMessageException("PinsEmbedded has no pins.");
        }

        var points = new List<StoredPoint>(message.Pins.Count);
        for (var i = 0; i < message.Pins.Count; i++)
        {
            var p = message.Pins[i] ?? throw new PoisonMessageException($"pins[{i}] is null.");
            var pin = p.Pin ?? throw new PoisonMessageException($"pins[{i}].pin is missing.");
            if (string.IsNullOrWhiteSpace(pin.Id) || string.IsNullOrWhiteSpace(pin.Tenant) || pin.Title is null)
            {
                throw new PoisonMessageException($"pins[{i}]: id, tenant and title are required.");
            }

            if (p.Dense is null || p.Dense.Length == 0 || p.Dense.Length % sizeof(float) != 0)
            {
                throw new PoisonMessageException($"pins[{i}] ('{pin.Id}'): the dense vector must be a non-empty multiple of 4 bytes.");
            }

            if (p.SparseIndices is null || p.SparseValues is null || p.SparseIndices.Length != p.SparseValues.Length)
            {
                throw new PoisonMessageException($"pins[{i}] ('{pin.Id}'): sparse indices and values must have the same length.");
            }

            if (string.IsNullOrWhiteSpace(p.EmbedderVersion))
            {
                throw new PoisonMessageException($"pins[{i}] ('{pin.Id}'): the embedder version is missing.");
            }

            points.Add(new StoredPoint(pin, DenseVectorCodec.Decode(p.Dense), new SparseVector(p.SparseIndices, p.SparseValues), p.EmbedderVersion));
        }

        return points;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Batch {BatchId}: {Applied} pins stored, {Stale} stale")]
    private static partial void LogStored(ILogger logger, Guid batchId, int applied, int stale);
}

using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ingestion.Pipeline;

/// <summary>Embeds pins and publishes them in batches. Embedding the next batch overlaps the broker's confirm of the
/// previous one; at most one publish is in flight per caller, so awaiting it (the broker confirm) is the
/// backpressure: a caller never holds more than two batches beyond its own request.</summary>
public sealed class PinPublisher(PinEmbedder embedder, IPublishEndpoint publish, IOptions<IngestionOptions> options)
{
    public async Task<List<Guid>> PublishAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
    {
        var batchIds = new List<Guid>();
        Task? inFlight = null;
        foreach (var chunk in pins.Chunk(options.Value.EventBatchSize))
        {
            var embedded = await embedder.EmbedAsync(chunk, cancellationToken);
            if (inFlight is not null)
            {
                await inFlight;
            }

            var batchId = NewId.NextGuid();
            inFlight = publish.Publish(new PinsEmbedded(batchId, DateTimeOffset.UtcNow, embedded), cancellationToken);
            batchIds.Add(batchId);
        }

        if (inFlight is not null)
        {
            await inFlight;
        }

        return batchIds;
    }

    public async Task PublishDeleteAsync(string tenant, IReadOnlyList<string> pinIds, CancellationToken cancellationToken)
    {
        var version = VersionClock.Next();
        foreach (var chunk in pinIds.Chunk(options.Value.EventBatchSize))
        {
            await publish.Publish(new PinsDeleted(NewId.NextGuid(), DateTimeOffset.UtcNow, tenant, chunk, version), cancellationToken);
        }
    }
}

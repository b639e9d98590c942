using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ingestion.Pipeline;

/// <summary>Embeds pins and publishes them in batches. Awaiting each publish (broker confirm) is the backpressure:
/// a caller never has more than one batch in memory beyond its own request.</summary>
public sealed class PinPublisher(PinEmbedder embedder, IPublishEndpoint publish, IOptions<IngestionOptions> options)
{
    public async Task<List<Guid>> PublishAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
    {
        var batchIds = new List<Guid>();
        foreach (var chunk in pins.Chunk(options.Value.EventBatchSize))
        {
            var embedded = await embedder.EmbedAsync(chunk, cancellationToken);
            var batchId = NewId.NextGuid();
            await publish.Publish(new PinsEmbedded(batchId, DateTimeOffset.UtcNow, embedded), cancellationToken);
            batchIds.Add(batchId);
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

using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ingestion.Pipeline;

/// <summary>Embeds pins and publishes them in event batches.</summary>
public sealed class PinPublisher(PinEmbedder embedder, IPublishEndpoint publish, IOptions<IngestionOptions> options)
{
    public int BatchSize => options.Value.EventBatchSize;

    public async Task<List<Guid>> PublishAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
    {
        var session = StartSession();
        await session.AddAsync(pins, cancellationToken);
        await session.CompleteAsync();
        return session.BatchIds;
    }

    /// <summary>A run of publishes (a stream or an import) that overlaps embedding the next batch with the broker's
    /// confirm of the previous one. At most one publish is in flight, so awaiting it (the confirm) is the
    /// backpressure: a session never holds more than two batches.</summary>
    public PublishSession StartSession() => new(embedder, publish, options.Value.EventBatchSize);

    public async Task PublishDeleteAsync(string tenant, IReadOnlyList<string> pinIds, CancellationToken cancellationToken)
    {
        var version = VersionClock.Next();
        foreach (var chunk in pinIds.Chunk(options.Value.EventBatchSize))
        {
            await publish.Publish(new PinsDeleted(NewId.NextGuid(), DateTimeOffset.UtcNow, tenant, chunk, version), cancellationToken);
        }
    }

    public sealed class PublishSession(PinEmbedder embedder, IPublishEndpoint publish, int batchSize)
    {
        private Task? _inFlight;

        public List<Guid> BatchIds { get; } = [];

        /// <summary>Embeds and publishes <paramref name="pins"/>; returns once the last batch is handed to the bus
        /// (its confirm may still be pending until the next call or <see cref="CompleteAsync"/>).</summary>
        public async Task AddAsync(IReadOnlyList<PinData> pins, CancellationToken cancellationToken)
        {
            foreach (var chunk in pins.Chunk(batchSize))
            {
                var embedded = await embedder.EmbedAsync(chunk, cancellationToken);
                if (_inFlight is not null)
                {
                    await _inFlight;
                }

                var batchId = NewId.NextGuid();
                _inFlight = publish.Publish(new PinsEmbedded(batchId, DateTimeOffset.UtcNow, embedded), cancellationToken);
                BatchIds.Add(batchId);
            }
        }

        /// <summary>Waits for the last publish's confirm.</summary>
        public async Task CompleteAsync()
        {
            if (_inFlight is not null)
            {
                await _inFlight;
                _inFlight = null;
            }
        }
    }
}

using MassTransit;
using Recommender.Contracts;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Consumers;

/// <summary>Removes pins; the delete's version keeps older upserts still in flight from bringing them back.</summary>
public sealed class PinsDeletedConsumer(IVectorStore store) : IConsumer<PinsDeleted>
{
    public Task Consume(ConsumeContext<PinsDeleted> context)
    {
        var m = context.Message;
        if (string.IsNullOrWhiteSpace(m.Tenant) || m.PinIds is null || m.PinIds.Any(string.IsNullOrWhiteSpace) || m.Version <= 0)
        {
            throw new PoisonMessageException("PinsDeleted needs a tenant, non-empty pin ids and a positive version.");
        }

        return store.DeleteAsync(m.Tenant, m.PinIds, m.Version, context.CancellationToken);
    }
}

using MassTransit;
using Recommender.Contracts;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Consumers;

/// <summary>Removes pins; the delete's version keeps older upserts still in flight from bringing them back.</summary>
public sealed class PinsDeletedConsumer(IVectorStore store) : IConsumer<PinsDeleted>
{
    public Task Consume(ConsumeContext<PinsDeleted> context) =>
        store.DeleteAsync(context.Message.Tenant, context.Message.PinIds, context.Message.Version, context.CancellationToken);
}

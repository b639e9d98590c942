using MassTransit;
using Recommender.Contracts;

namespace Recommender.Ranking.Engagement;

/// <summary>Feeds engagement into the popularity counts the ranker reads.</summary>
public sealed class PinEngagedConsumer(PopularityCounter counter) : IConsumer<PinEngaged>
{
    public Task Consume(ConsumeContext<PinEngaged> context)
    {
        counter.Record(context.Message);
        return Task.CompletedTask;
    }
}

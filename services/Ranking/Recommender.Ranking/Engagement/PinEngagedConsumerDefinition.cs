using MassTransit;
using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// Fan-out: every replica needs every user's events (the user's next search may land on any replica), so each one
/// consumes from its own durable queue <c>pin-engaged-{ReplicaId}</c> bound to the PinEngaged exchange and keeps its
/// own log and state (docs/engagement.md says why this and not partitioned consumers or a shared store).
/// </summary>
public sealed class PinEngagedConsumerDefinition : ConsumerDefinition<PinEngagedConsumer>
{
    private readonly EngagementOptions _options;

    public PinEngagedConsumerDefinition(IOptions<EngagementOptions> options)
    {
        _options = options.Value;
        EndpointName = QueueName(_options);
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    public static string QueueName(EngagementOptions options) => "pin-engaged-" + options.ResolvedReplicaId;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<PinEngagedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Many messages in flight at once let one fsync of the log cover them all.
        endpointConfigurator.ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
        endpointConfigurator.PrefetchCount = Math.Max(endpointConfigurator.PrefetchCount, _options.ConcurrentMessageLimit * 2);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit && _options.QueueExpiryHours > 0)
        {
            rabbit.QueueExpiration = TimeSpan.FromHours(_options.QueueExpiryHours);
        }
    }
}

using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Recommender.ServiceDefaults.Grpc;
using Recommender.ServiceDefaults.Hosting;

namespace Recommender.ServiceDefaults.Messaging;

/// <summary>
/// Services register their consumers with <see cref="AddRecommenderConsumers"/>; the host then calls
/// <see cref="AddRecommenderMessaging"/> once, which builds one MassTransit bus with all of them on the transport
/// the configuration names. So the embedded host (three services, one bus) and a single-service host share code.
/// </summary>
public static class MessagingExtensions
{
    private sealed record ConsumerRegistration(Action<IBusRegistrationConfigurator> Register);

    public static IServiceCollection AddRecommenderConsumers(
        this IServiceCollection services, Action<IBusRegistrationConfigurator> register)
    {
        services.AddSingleton(new ConsumerRegistration(register));
        return services;
    }

    public static IHostApplicationBuilder AddRecommenderMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryMinIntervalMs <= o.RetryMaxIntervalMs, "Messaging:RetryMinIntervalMs must not exceed RetryMaxIntervalMs.")
            .ValidateOnStart();

        // Read once here to pick the transport; the validated options are used inside the callbacks.
        var transport = builder.Configuration.GetSection(MessagingOptions.Section)
            .GetValue(nameof(MessagingOptions.Transport), MessagingTransport.InMemory);
        var registrations = builder.Services
            .Where(d => d.ServiceType == typeof(ConsumerRegistration) && d.ImplementationInstance is not null)
            .Select(d => (ConsumerRegistration)d.ImplementationInstance!)
            .ToList();

        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            foreach (var registration in registrations)
            {
                registration.Register(x);
            }

            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                endpoint.UseMessageRetry(r =>
                {
                    r.Exponential(
                        options.RetryLimit,
                        TimeSpan.FromMilliseconds(options.RetryMinIntervalMs),
                        TimeSpan.FromMilliseconds(options.RetryMaxIntervalMs),
                        TimeSpan.FromMilliseconds(options.RetryMinIntervalMs));

                    // A malformed message fails the same way every time: straight to the _error queue, no retries.
                    r.Ignore<PoisonMessageException>();
                    r.Ignore<ServiceRuleException>();
                });
                endpoint.PrefetchCount = options.PrefetchCount;
                endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
                if (options.QuorumQueues && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.SetQuorumQueue();
                }
            });

            if (transport == MessagingTransport.RabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value.RabbitMq;
                    cfg.Host(options.Host, (ushort)options.Port, options.VirtualHost, h =>
                    {
                        h.Username(options.Username);
                        h.Password(options.Password);
                        h.Heartbeat(TimeSpan.FromSeconds(options.HeartbeatSeconds));
                        h.PublisherConfirmation = true;
                    });
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
        });

        // Finish in-flight messages on shutdown rather than abandoning them: MassTransit waits up to StopTimeout for
        // consumers, inside the host's ShutdownTimeout (k8s terminationGracePeriodSeconds is 40).
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(35));

        // A lost broker connection makes the service not ready (MassTransit's own check only says Degraded).
        builder.Services.AddHealthChecks().AddCheck<BusReadinessHealthCheck>("bus", tags: [RecommenderDefaultsExtensions.ReadyTag]);
        return builder;
    }
}

using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Recommender.ServiceDefaults.Messaging;

/// <summary>
/// Ready only while the bus is healthy. MassTransit's own check reports a lost broker connection as Degraded, which
/// HTTP health endpoints answer with 200 and the gRPC health service with SERVING; this one makes it Unhealthy, so
/// /health/ready and grpc.health (the k8s probes) report a service that cannot consume or publish as not ready.
/// </summary>
public sealed class BusReadinessHealthCheck(IBusControl bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.CheckHealth();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : new HealthCheckResult(context.Registration.FailureStatus, $"Message bus {health.Status}: {health.Description}"));
    }
}

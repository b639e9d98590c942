using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>Readiness: the vector service can serve only while Qdrant answers.</summary>
public sealed class QdrantHealthCheck(QdrantVectorStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var exists = await store.CollectionExistsAsync(cancellationToken);
            return HealthCheckResult.Healthy(exists
                ? $"Qdrant answers; collection '{store.CollectionName}' exists."
                : $"Qdrant answers; collection '{store.CollectionName}' is created on the first upsert.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Qdrant does not answer.", ex);
        }
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ingestion.Import;
using Recommender.Ingestion.Pipeline;
using Recommender.Vector.Storage;

namespace Recommender.Embedded;

/// <summary>On first start (the tenant has no pins), imports the sample catalog through the normal ingest path.</summary>
public sealed partial class SampleCatalogSeeder(
    IServiceScopeFactory scopes,
    IVectorStore store,
    IHostApplicationLifetime lifetime,
    IOptions<SampleCatalogOptions> options,
    ILogger<SampleCatalogSeeder> logger) : BackgroundService
{
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        await WhenStarted(stoppingToken);
        var stats = await store.GetStatsAsync(o.Tenant, stoppingToken);
        if (stats.Count > 0)
        {
            LogAlreadyLoaded(logger, o.Tenant, stats.Count);
            return;
        }

        var path = Path.IsPathRooted(o.Path) ? o.Path : Path.Combine(AppContext.BaseDirectory, o.Path);
        var started = Stopwatch.GetTimestamp();
        var accepted = 0;
        var rejected = 0;
        var pending = new List<PinData>(Batch);
        await using var scope = scopes.CreateAsyncScope();
        var publisher = scope.ServiceProvider.GetRequiredService<PinPublisher>();
        await foreach (var row in JsonlCatalogReader.ReadAsync(path, stoppingToken))
        {
            if (row.Pin is null)
            {
                rejected++;
                LogRejected(logger, path, row.Line, row.Error ?? "");
                continue;
            }

            pending.Add(row.Pin.ToPinData(o.Tenant, row.Pin.Version > 0 ? row.Pin.Version : VersionClock.Next()));
            if (pending.Count == Batch)
            {
                await publisher.PublishAsync(pending, stoppingToken);
                accepted += pending.Count;
                pending.Clear();
            }
        }

        await publisher.PublishAsync(pending, stoppingToken);
        accepted += pending.Count;
        LogSeeded(logger, accepted, rejected, o.Tenant, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private Task WhenStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Sample catalog: {Accepted} pins published, {Rejected} rejected, for tenant '{Tenant}' in {Ms:F0} ms")]
    private static partial void LogSeeded(ILogger logger, int accepted, int rejected, string tenant, double ms);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant '{Tenant}' already has {Count} pins; sample catalog not loaded")]
    private static partial void LogAlreadyLoaded(ILogger logger, string tenant, long count);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Path} line {Line} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, int line, string reason);
}

using System.Diagnostics;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ingestion.Import;
using Recommender.Ingestion.Pipeline;
using Recommender.Vector.Storage;

namespace Recommender.Embedded;

/// <summary>
/// Imports the sample catalog through the normal ingest path when the tenant has none of it yet, and finishes an
/// import that an earlier start did not (the process stopped part-way, or in-memory events were lost at shutdown).
/// A tenant whose pins include no sample pin holds its own catalog and is left alone.
/// </summary>
/// <remarks>
/// Sample rows without a version are stored at version <see cref="SampleVersion"/>, so importing again is idempotent:
/// a sample pin the user has deleted (a newer tombstone) or updated (a newer version) stays as the user left it.
/// Shutdown is honoured between batches, never inside one, so a batch is never half handed to the bus.
/// </remarks>
public sealed partial class SampleCatalogSeeder(
    IServiceScopeFactory scopes,
    IVectorStore store,
    IHostApplicationLifetime lifetime,
    IOptions<SampleCatalogOptions> options,
    ILogger<SampleCatalogSeeder> logger) : BackgroundService
{
    /// <summary>The version of sample rows that carry none: older than any version the ingest clock gives.</summary>
    public const long SampleVersion = 1;

    private const int Batch = 500;
    private const int LookupChunk = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        await WhenStarted(stoppingToken);
        var path = Path.IsPathRooted(o.Path) ? o.Path : Path.Combine(AppContext.BaseDirectory, o.Path);
        var stats = await store.GetStatsAsync(o.Tenant, stoppingToken);
        IReadOnlySet<string>? stored = null;
        if (stats.Count > 0)
        {
            var (sample, present) = await StoredSampleIdsAsync(path, o.Tenant, stoppingToken);
            if (present.Count == 0)
            {
                LogOwnCatalog(logger, o.Tenant, stats.Count);
                return;
            }

            if (present.Count == sample)
            {
                LogAlreadyLoaded(logger, o.Tenant, stats.Count, sample);
                return;
            }

            LogResuming(logger, sample - present.Count, sample, o.Tenant);
            stored = present;
        }

        await ImportAsync(path, o.Tenant, stored, stoppingToken);
    }

    private async Task ImportAsync(string path, string tenant, IReadOnlySet<string>? stored, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var accepted = 0;
        var rejected = 0;
        var stopped = false;
        var pending = new List<PinData>(Batch);
        await using var scope = scopes.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<PinPublisher>().StartSession();
        // The batches themselves run to completion (CancellationToken.None): a send cancelled inside the bus is logged
        // as a transport fault and may leave part of a batch published; stopping between batches loses nothing.
        await foreach (var row in JsonlCatalogReader.ReadAsync(path, CancellationToken.None))
        {
            if (row.Pin is null)
            {
                rejected++;
                LogRejected(logger, path, row.Line, row.Error ?? "");
                continue;
            }

            if (stored?.Contains(row.Pin.Id) == true)
            {
                continue;
            }

            pending.Add(row.Pin.ToPinData(tenant, row.Pin.Version > 0 ? row.Pin.Version : SampleVersion));
            if (pending.Count == Batch)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    stopped = true;
                    break;
                }

                await session.AddAsync(pending, CancellationToken.None);
                accepted += pending.Count;
                pending.Clear();
            }
        }

        if (!stopped && pending.Count > 0)
        {
            await session.AddAsync(pending, CancellationToken.None);
            accepted += pending.Count;
        }

        await session.CompleteAsync();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (stopped)
        {
            LogStopped(logger, accepted, tenant, ms);
        }
        else
        {
            LogSeeded(logger, accepted, rejected, tenant, ms);
        }
    }

    /// <summary>How many distinct valid pins the sample holds, and which of them the tenant already has.</summary>
    private async Task<(int Sample, HashSet<string> Present)> StoredSampleIdsAsync(string path, string tenant, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in JsonlCatalogReader.ReadAsync(path, cancellationToken))
        {
            if (row.Pin is not null)
            {
                ids.Add(row.Pin.Id);
            }
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(LookupChunk))
        {
            foreach (var point in await store.GetAsync(tenant, chunk, cancellationToken))
            {
                present.Add(point.Pin.Id);
            }
        }

        return (ids.Count, present);
    }

    private Task WhenStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Sample catalog: {Accepted} pins published, {Rejected} rejected, for tenant '{Tenant}' in {Ms:F0} ms")]
    private static partial void LogSeeded(ILogger logger, int accepted, int rejected, string tenant, double ms);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant '{Tenant}' already has {Count} pins, all {Sample} of the sample catalog among them; sample catalog not loaded")]
    private static partial void LogAlreadyLoaded(ILogger logger, string tenant, long count, int sample);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Path} line {Line} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, int line, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Sample catalog: {Missing} of its {Sample} pins are missing for tenant '{Tenant}' (an earlier import stopped part-way, or they were deleted: deleted pins stay deleted); importing them")]
    private static partial void LogResuming(ILogger logger, int missing, int sample, string tenant);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Sample catalog: import stopped by shutdown after {Accepted} pins published for tenant '{Tenant}' in {Ms:F0} ms; the rest is imported on the next start")]
    private static partial void LogStopped(ILogger logger, int accepted, string tenant, double ms);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Tenant '{Tenant}' has {Count} pins of its own (none from the sample catalog); sample catalog not loaded")]
    private static partial void LogOwnCatalog(ILogger logger, string tenant, long count);
}

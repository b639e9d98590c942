using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// Owns this replica's engagement log: on start it replays the files within <see cref="EngagementOptions.ReplayDays"/>
/// into <see cref="EngagementState"/> (rebuilding the decayed counts and the dedupe set) before the consumer may
/// count anything; then it appends counted events and searches. Registered before the bus, so it starts first and
/// stops last (the bus finishes its in-flight messages, which still append, before the log closes).
/// </summary>
public sealed partial class EngagementRecorder(
    EngagementState state,
    IOptions<EngagementOptions> options,
    IHostEnvironment environment,
    ILogger<EngagementRecorder> logger) : IHostedService, IAsyncDisposable
{
    private readonly EngagementOptions _options = options.Value;
    private EngagementLog? _log;

    /// <summary>The log's directory, or null when the log is off.</summary>
    public string? Directory => _log?.Directory;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.DataPath))
        {
            LogNoLog(logger);
            state.MarkReady();
            return Task.CompletedTask;
        }

        var directory = Path.GetFullPath(_options.DataPath, environment.ContentRootPath);
        var watch = Stopwatch.StartNew();
        var files = EngagementLog.Files(directory, EngagementLog.EngagementPrefix, DateTimeOffset.UtcNow.AddDays(-_options.ReplayDays));
        long counted = 0, repeated = 0;
        foreach (var record in EngagementLog.Read(files))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (state.Apply(record, replay: true))
            {
                counted++;
            }
            else
            {
                repeated++;
            }
        }

        _log = new EngagementLog(directory);
        state.MarkReady();
        LogReplayed(logger, counted, repeated, files.Count, directory, watch.Elapsed.TotalMilliseconds);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the record is durably on disk (at once when the log is off).</summary>
    public Task AppendAsync(EngagementRecord record) => _log?.AppendAsync(record) ?? Task.CompletedTask;

    /// <summary>Logs a search (query id and text) so implicit labels can join engagement to the query.</summary>
    public void RecordSearch(string tenant, string queryId, string query, string? userId, string? sessionId) =>
        _log?.AppendSearch(new EngagementRecord
        {
            Type = EngagementRecord.SearchType,
            Tenant = tenant,
            QueryId = queryId,
            Query = query,
            UserId = userId,
            SessionId = sessionId,
            Timestamp = DateTimeOffset.UtcNow,
            LoggedAt = DateTimeOffset.UtcNow,
        });

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _log, null) is { } log)
        {
            await log.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information,
        Message = "Engagement log replayed: {Counted} events counted, {Repeated} repeated or unusable lines skipped, from {Files} files in {Directory} ({Ms:F0} ms)")]
    private static partial void LogReplayed(ILogger logger, long counted, long repeated, int files, string directory, double ms);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Ranking:Engagement:DataPath is empty: engagement is not logged and is lost on restart")]
    private static partial void LogNoLog(ILogger logger);
}

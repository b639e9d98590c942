using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.QueryLog;

namespace Recommender.Ranking.Model;

/// <summary>
/// Loads the ranker artifact of <c>Ranking:Model:Path</c> at start (a broken one fails the start) and then polls
/// its manifest: a new version is loaded and swapped into <see cref="RankerRegistry"/> while searches run; a
/// broken new version is logged and the model in use is kept. The query log that ships in the same folder
/// (<see cref="QueryLogExpansion.LoadForRanker"/>) is loaded and swapped with its ranker.
/// </summary>
public sealed partial class RankerModelWatcher(
    RankerRegistry registry, IOptions<RankerModelOptions> options, ILogger<RankerModelWatcher> logger, QueryLogRegistry? queryLog = null)
    : BackgroundService
{
    private readonly RankerModelOptions _options = options.Value;
    private string? _rejected;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Path))
        {
            LogDefault(logger, registry.Current.Version);
            return Task.CompletedTask;
        }

        var model = RankerArtifact.Load(_options.Path);
        var log = QueryLogExpansion.LoadForRanker(_options.Path);
        queryLog?.Swap(log);
        registry.Swap(model);
        LogLoaded(logger, model.Version, _options.Path);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Checks the folder once; true when a new version was swapped in.</summary>
    public bool CheckNow()
    {
        if (string.IsNullOrWhiteSpace(_options.Path))
        {
            return false;
        }

        string version;
        try
        {
            version = RankerArtifact.ReadManifest(_options.Path).Version;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Reject("manifest", e);
            return false;
        }

        if (version == registry.Current.Version || version == _rejected)
        {
            return false;
        }

        try
        {
            var model = RankerArtifact.Load(_options.Path);
            var log = QueryLogExpansion.LoadForRanker(_options.Path);
            var old = registry.Current.Version;
            queryLog?.Swap(log);
            registry.Swap(model);
            _rejected = null;
            LogSwapped(logger, old, model.Version, _options.Path);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            Reject(version, e);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.ReloadIntervalMs));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            CheckNow();
        }
    }

    private void Reject(string version, Exception e)
    {
        if (_rejected != version)
        {
            _rejected = version;
            LogRejected(logger, e, version, _options.Path ?? "", registry.Current.Version);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Ranker: built-in {Version} (Ranking:Model:Path not set)")]
    private static partial void LogDefault(ILogger logger, string version);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Ranker {Version} loaded from {Path}")]
    private static partial void LogLoaded(ILogger logger, string version, string path);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Ranker swapped {Old} -> {New} from {Path}")]
    private static partial void LogSwapped(ILogger logger, string old, string @new, string path);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "Ranker artifact {Version} in {Path} is broken; keeping {Current}")]
    private static partial void LogRejected(ILogger logger, Exception exception, string version, string path, string current);
}

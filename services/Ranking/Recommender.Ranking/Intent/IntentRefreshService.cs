using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Keeps each tenant's intent model in step with its catalog: builds a model when a tenant is first seen, and
/// rebuilds it in the background when the pin count moved by more than <see cref="IntentOptions.RebuildChangeRatio"/>
/// (or at all, once the model is older than <see cref="IntentOptions.MaxModelAgeMinutes"/>).
/// </summary>
public sealed partial class IntentRefreshService(
    IntentModelRegistry registry,
    IntentModelBuilder builder,
    IOptions<IntentOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<IntentRefreshService> logger) : BackgroundService
{
    private static readonly TimeSpan EmptyCatalogRecheck = TimeSpan.FromSeconds(5);
    private readonly IntentOptions _options = options.Value;

    /// <summary>Whether a model built from <paramref name="builtFrom"/> pins should be rebuilt for <paramref name="now"/> pins.</summary>
    public static bool NeedsRebuild(IntentModel? model, long count, IntentOptions options, DateTimeOffset at)
    {
        if (model is null)
        {
            return true;
        }

        if (count == model.PinCount)
        {
            return false;
        }

        var ratio = model.PinCount == 0 ? double.PositiveInfinity : Math.Abs(count - model.PinCount) / (double)model.PinCount;
        return ratio > options.RebuildChangeRatio || at - model.BuiltAt > TimeSpan.FromMinutes(options.MaxModelAgeMinutes);
    }

    /// <summary>Checks one tenant now and rebuilds its model when needed; true when a new model was swapped in.</summary>
    public async Task<bool> RefreshAsync(string tenant, CancellationToken cancellationToken)
    {
        var count = await builder.CountAsync(tenant, cancellationToken);
        var current = registry.ModelFor(tenant);
        if (!NeedsRebuild(current, count, _options, DateTimeOffset.UtcNow))
        {
            return false;
        }

        var model = await builder.BuildAsync(tenant, cancellationToken);
        registry.Swap(tenant, model);
        var parser = model.Parser;
        LogBuilt(logger, tenant, model.PinCount, parser.Vocabulary.BrandCount, parser.Vocabulary.CategoryNames.Count,
            parser.Classifier?.Labels.Count ?? 0, parser.Classifier?.TrainedOn ?? 0, model.BuildTime.TotalMilliseconds);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // In one process with the vector service, wait until its endpoint listens.
        await WhenStarted(stoppingToken);
        foreach (var tenant in _options.PrewarmTenants)
        {
            registry.Track(tenant);
        }

        var nextFull = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var tenants = now >= nextFull ? registry.Tenants.ToList() : [];
            while (registry.Requests.TryRead(out var requested))
            {
                if (!tenants.Contains(requested))
                {
                    tenants.Add(requested);
                }
            }

            var anyEmpty = false;
            foreach (var tenant in tenants)
            {
                var unsupported = false;
                try
                {
                    await RefreshAsync(tenant, stoppingToken);
                }
                catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The vector service may not be up yet (retry soon), or its backend cannot list pins
                    // (FAILED_PRECONDITION: retry at the normal pace). The grammar still works meanwhile.
                    unsupported = ex.StatusCode == StatusCode.FailedPrecondition;
                    LogRefreshFailed(logger, tenant, ex.StatusCode.ToString(), ex.Status.Detail);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed build must not stop the host: the previous model (or the grammar) keeps serving.
                    LogBuildFailed(logger, ex, tenant);
                }

                anyEmpty |= !unsupported && registry.ModelFor(tenant) is not { PinCount: > 0 };
            }

            if (tenants.Count > 0)
            {
                nextFull = DateTimeOffset.UtcNow + (anyEmpty ? EmptyCatalogRecheck : TimeSpan.FromSeconds(_options.RefreshSeconds));
            }

            var wait = nextFull - DateTimeOffset.UtcNow;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            cts.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            try
            {
                await registry.Requests.WaitToReadAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Timer elapsed: next round checks every tenant.
            }
        }
    }

    private Task WhenStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information,
        Message = "Intent model for tenant '{Tenant}' built from {Pins} pins: {Brands} brands, {Categories} categories, classifier over {Labels} labels from {Rows} titles, in {Ms:F0} ms")]
    private static partial void LogBuilt(ILogger logger, string tenant, long pins, int brands, int categories, int labels, int rows, double ms);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Intent model for tenant '{Tenant}' not refreshed: vector service answered {Status} ({Detail}); will retry")]
    private static partial void LogRefreshFailed(ILogger logger, string tenant, string status, string detail);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Intent model for tenant '{Tenant}' could not be built; will retry")]
    private static partial void LogBuildFailed(ILogger logger, Exception exception, string tenant);
}

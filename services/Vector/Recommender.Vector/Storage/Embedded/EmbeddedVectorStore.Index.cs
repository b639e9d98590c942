using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>Background builds of the segments' clustered indexes (<see cref="ClusterIndex"/>). A build never holds the
/// store's lock for long: it snapshots the live pins and copies vectors in chunks under the read lock, trains and
/// assigns without the lock, and installs under the write lock (catching up with the writes made meanwhile).</summary>
public sealed partial class EmbeddedVectorStore
{
    private const int IndexSeed = 17;
    private const int CopyChunk = 2_048;

    /// <summary><see cref="EmbeddedStoreOptions.IvfClusters"/> 0: this many clusters per square root of the pins.</summary>
    internal const double AutoClustersPerRoot = 8;

    private readonly Lock _buildGate = new();
    private readonly Dictionary<Segment, Task> _builds = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Segment, (int Count, long Changes)> _failedBuilds = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _disposing = new();

    /// <summary>Whether every installed clustered index has settled how searches use it: calibrated, or walked
    /// unmeasured (<see cref="EmbeddedStoreOptions.IvfTargetRecall"/> 0). A host that must be reproducible (the CLI's
    /// <c>rank</c>) runs its searches one at a time until this holds, so the same searches calibrate the same way.</summary>
    public bool IndexesCalibrated
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _options.IvfTargetRecall <= 0 || _segments.Values.All(s => s.Index is null || !s.IndexEligible || s.Calibration is not null);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// Returns once every segment that qualifies for a clustered index (<see cref="EmbeddedStoreOptions.IvfThreshold"/>)
    /// has one built from its current contents, building or rebuilding it now if needed. For hosts that load a catalog
    /// and then measure (load client, CLI <c>rank</c>): the searches after it use the index, and the index depends only on
    /// the catalog (pins in id order), not on how the loading batches interleaved with background builds.
    /// </summary>
    public async Task WaitForIndexesAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = new List<Task>();
            _lock.EnterReadLock();
            try
            {
                foreach (var (tenant, segment) in _segments)
                {
                    if (segment.IndexEligible && segment.Index?.Changes != segment.Changes && !FailedAt(segment, segment.Changes))
                    {
                        pending.Add(StartIndexBuild(tenant, segment));
                    }
                }
            }
            finally
            {
                _lock.ExitReadLock();
            }

            if (pending.Count == 0)
            {
                return;
            }

            await Task.WhenAll(pending).WaitAsync(cancellationToken);
        }
    }

    /// <summary>The store's keyword ids, to compile filters for a segment directly (benchmarks).</summary>
    internal KeywordTable Keywords => _keywords;

    /// <summary>The tenant's segment (for tests and diagnostics; read it only while nothing writes).</summary>
    internal Segment? SegmentOf(string tenant)
    {
        _lock.EnterReadLock();
        try
        {
            return _segments.GetValueOrDefault(tenant);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Starts a build when the segment qualifies and has no index yet, or has grown
    /// <see cref="EmbeddedStoreOptions.IvfRebuildGrowth"/> times past the one it has. Called under the store's lock.</summary>
    private void MaybeStartIndexBuild(string tenant, Segment segment)
    {
        if (!segment.IndexEligible)
        {
            return;
        }

        var built = segment.Index?.BuiltCount;
        lock (_buildGate)
        {
            if (_failedBuilds.TryGetValue(segment, out var failed))
            {
                built ??= failed.Count;
            }
        }

        if (built is null || segment.Count >= built.Value * _options.IvfRebuildGrowth)
        {
            StartIndexBuild(tenant, segment);
        }
    }

    private bool FailedAt(Segment segment, long changes)
    {
        lock (_buildGate)
        {
            return _failedBuilds.TryGetValue(segment, out var failed) && failed.Changes == changes;
        }
    }

    /// <summary>The running build of the segment, or a new one.</summary>
    private Task StartIndexBuild(string tenant, Segment segment)
    {
        lock (_buildGate)
        {
            if (_builds.TryGetValue(segment, out var running) && !running.IsCompleted)
            {
                return running;
            }

            var build = Task.Run(() => BuildIndex(tenant, segment, _disposing.Token));
            _builds[segment] = build;
            return build;
        }
    }

    private void BuildIndex(string tenant, Segment segment, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var changes = 0L;
        var count = 0;
        try
        {
            string[] ids;
            int[] slots;
            int[] generations;
            int dimensions;
            _lock.EnterReadLock();
            try
            {
                (ids, slots, generations, changes) = segment.LiveSnapshot();
                dimensions = segment.Dimensions;
            }
            finally
            {
                _lock.ExitReadLock();
            }

            // Pin-id order: the sample, and so the centroids, depend on the catalog, not on the order it arrived in.
            count = ids.Length;
            var order = new int[count];
            for (var i = 0; i < count; i++)
            {
                order[i] = i;
            }

            Array.Sort(ids, order, StringComparer.Ordinal);
            slots = order.Select(i => slots[i]).ToArray();
            generations = order.Select(i => generations[i]).ToArray();

            var clusters = Math.Clamp(_options.IvfClusters > 0 ? _options.IvfClusters : (int)Math.Round(AutoClustersPerRoot * Math.Sqrt(count)), 1, Math.Max(1, count));
            var sampled = (int)Math.Min(count, (long)clusters * _options.IvfSamplePerCluster);
            var sampleSlots = new int[sampled];
            var sampleGenerations = new int[sampled];
            for (var j = 0; j < sampled; j++)
            {
                var at = (int)((long)j * count / sampled);
                (sampleSlots[j], sampleGenerations[j]) = (slots[at], generations[at]);
            }

            var sample = new float[sampled * dimensions];
            var current = new bool[sampled];
            CopyInChunks(segment, sampleSlots, sampleGenerations, sample, current, dimensions, cancellationToken);

            // Pins changed since the snapshot drop out of the sample (only while writes run during a build).
            var kept = 0;
            for (var j = 0; j < sampled; j++)
            {
                if (current[j])
                {
                    sample.AsSpan(j * dimensions, dimensions).CopyTo(sample.AsSpan(kept++ * dimensions, dimensions));
                }
            }

            clusters = Math.Clamp(clusters, 1, Math.Max(1, kept));
            var centroids = ClusterIndex.Train(sample, kept, dimensions, clusters, _options.IvfIterations, IndexSeed, cancellationToken);

            // Assign every pin, a chunk of copied vectors at a time, and write its 4-bit code for the list.
            var width = QuantizedVectors.NibbleBytes(dimensions);
            var codes = new byte[(long)count * width];
            var codeScales = new float[count];
            var assigned = new int[count];
            var sums = new double[clusters * dimensions];
            var sizes = new int[clusters];
            var buffer = new float[CopyChunk * dimensions];
            var fresh = new bool[CopyChunk];
            for (var from = 0; from < count; from += CopyChunk)
            {
                var n = Math.Min(CopyChunk, count - from);
                CopyInChunks(segment, slots.AsSpan(from, n), generations.AsSpan(from, n), buffer, fresh, dimensions, cancellationToken);
                Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
                {
                    var vector = buffer.AsSpan(i * dimensions, dimensions);
                    assigned[from + i] = fresh[i] ? ClusterIndex.Nearest(centroids, clusters, dimensions, vector) : -1;
                    if (fresh[i] && width > 0)
                    {
                        codeScales[from + i] = QuantizedVectors.QuantizeNibbles(vector, codes.AsSpan((from + i) * width, width));
                    }
                });
                for (var i = 0; i < n; i++)
                {
                    if (assigned[from + i] is var c and >= 0)
                    {
                        sizes[c]++;
                        var row = buffer.AsSpan(i * dimensions, dimensions);
                        var sum = sums.AsSpan(c * dimensions, dimensions);
                        for (var d = 0; d < dimensions; d++)
                        {
                            sum[d] += row[d];
                        }
                    }
                }
            }

            // Each cluster's member mean ranks it for a query (an empty cluster's, its centroid).
            var means = new float[clusters * dimensions];
            for (var c = 0; c < clusters; c++)
            {
                for (var d = 0; d < dimensions; d++)
                {
                    means[(c * dimensions) + d] = sizes[c] > 0 ? (float)(sums[(c * dimensions) + d] / sizes[c]) : centroids[(c * dimensions) + d];
                }
            }

            var index = ClusterIndex.Create(centroids, means, clusters, dimensions, count, changes, slots, generations, assigned, codes, codeScales);
            cancellationToken.ThrowIfCancellationRequested();
            _lock.EnterWriteLock();
            try
            {
                segment.InstallIndex(index);
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            LogIndexBuilt(_logger, tenant, count, clusters, kept, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The store is being disposed.
        }
        catch (Exception e)
        {
            // The segment keeps searching with the int8 scan; a later growth or wait retries.
            lock (_buildGate)
            {
                // Retried once the segment doubled (or by a wait after more writes); a build that failed before
                // counting the pins is not retried automatically.
                _failedBuilds[segment] = (count > 0 ? count : int.MaxValue / 4, changes);
            }

            LogIndexFailed(_logger, e, tenant, count);
        }
    }

    /// <summary>Copies vectors under the read lock, <see cref="CopyChunk"/> at a time, so writers wait at most one chunk.</summary>
    private void CopyInChunks(Segment segment, ReadOnlySpan<int> slots, ReadOnlySpan<int> generations, float[] destination, bool[] current, int dimensions, CancellationToken cancellationToken)
    {
        for (var from = 0; from < slots.Length; from += CopyChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(CopyChunk, slots.Length - from);
            _lock.EnterReadLock();
            try
            {
                segment.CopyVectors(slots.Slice(from, n), generations.Slice(from, n), destination.AsSpan(from * dimensions, n * dimensions), current.AsSpan(from, n));
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Stops builds in flight (they check between steps) before the lock goes away.</summary>
    private void StopIndexBuilds()
    {
        _disposing.Cancel();
        Task[] running;
        lock (_buildGate)
        {
            running = [.. _builds.Values];
        }

        try
        {
            Task.WaitAll(running, TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Builds end by catching their own exceptions; nothing to report here.
        }

        _disposing.Dispose();
    }

    private void LogCalibrated(string tenant, IndexCalibration calibration)
    {
        var measured = string.Join(", ", calibration.Measured.Select(m => FormattableString.Invariant($"{m.Recall:F3} at {m.Fraction:0.###}")));
        if (calibration.Walks)
        {
            LogIndexWalked(_logger, tenant, calibration.Queries, measured, calibration.Target, calibration.Fraction);
        }
        else
        {
            LogIndexScanned(_logger, tenant, calibration.Queries, measured, calibration.Target);
        }
    }

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information,
        Message = "Clustered index of tenant {Tenant} calibrated on {Queries} searches: recall of the scan's hits {Measured} (probe fraction), target {Target}; searches walk it at {Fraction}")]
    private static partial void LogIndexWalked(ILogger logger, string tenant, int queries, string measured, double target, double fraction);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information,
        Message = "Clustered index of tenant {Tenant} calibrated on {Queries} searches: recall of the scan's hits {Measured} (probe fraction), under the target {Target}; searches keep scanning every pin")]
    private static partial void LogIndexScanned(ILogger logger, string tenant, int queries, string measured, double target);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information,
        Message = "Clustered index of tenant {Tenant} built: {Pins} pins in {Clusters} clusters, trained on {Sample} in {Ms:F0} ms")]
    private static partial void LogIndexBuilt(ILogger logger, string tenant, int pins, int clusters, int sample, double ms);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error,
        Message = "Clustered index build of tenant {Tenant} ({Pins} pins) failed; its searches keep scanning every pin")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, string tenant, int pins);
}

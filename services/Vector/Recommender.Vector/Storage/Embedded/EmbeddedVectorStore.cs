using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// The default, in-process vector store: exact SIMD scoring per tenant segment, an inverted index for sparse
/// vectors, the same filter language and RRF fusion as the Qdrant backend, and a crash-safe snapshot + log on disk.
/// A change is fsynced before the call returns, so whatever was acknowledged survives a kill -9.
/// </summary>
public sealed partial class EmbeddedVectorStore : IVectorStore, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, Segment> _segments = new(StringComparer.Ordinal);
    private readonly KeywordTable _keywords = new();
    private readonly TermStats _terms = new();
    private readonly EmbeddedStoreOptions _options;
    private readonly VectorSearchOptions _search;
    private readonly ILogger<EmbeddedVectorStore> _logger;
    private readonly StoreFiles? _files;
    private int _dimensions;
    private int _disposed;
    private string _embedderVersion = "";

    public EmbeddedVectorStore(
        IOptions<EmbeddedStoreOptions> options,
        IOptions<VectorSearchOptions> search,
        IHostEnvironment environment,
        ILogger<EmbeddedVectorStore> logger)
    {
        _options = options.Value;
        _search = search.Value;
        _logger = logger;
        LogKernel(_logger, IntegerKernel);
        if (!string.IsNullOrWhiteSpace(_options.DataPath))
        {
            var started = Stopwatch.GetTimestamp();
            _files = new StoreFiles(Path.GetFullPath(_options.DataPath, environment.ContentRootPath));
            var count = 0;
            foreach (var record in _files.Open())
            {
                Apply(record);
                count++;
            }

            LogOpened(_logger, _options.DataPath, _segments.Values.Sum(s => s.Count), count,
                _files.TruncatedBytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            foreach (var (tenant, segment) in _segments)
            {
                MaybeStartIndexBuild(tenant, segment);
            }
        }
    }

    /// <summary>The integer kernel this machine's quantised scans use (<see cref="DotKernel"/>: AvxVnni, Avx2 or
    /// Portable); every kernel gives the same scores, only the cost differs. Logged when a store is made.</summary>
    public static string IntegerKernel => PreparedQuery.Best.ToString();

    public Task<UpsertResult> UpsertAsync(IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var applied = 0;
        _lock.EnterWriteLock();
        try
        {
            // Check the whole batch before changing anything, so a refused batch leaves no trace.
            var (dimensions, embedderVersion) = (_dimensions, _embedderVersion);
            foreach (var point in points)
            {
                (dimensions, embedderVersion) = CheckShape(point, dimensions, embedderVersion);
            }

            (_dimensions, _embedderVersion) = (dimensions, embedderVersion);
            var accepted = new List<LogRecord>(points.Count);
            foreach (var point in points)
            {
                if (Segment(point.Pin.Tenant).Upsert(point))
                {
                    applied++;
                    accepted.Add(new LogRecord.UpsertRecord(point));
                }
            }

            Persist(accepted);
            foreach (var tenant in points.Select(p => p.Pin.Tenant).Distinct(StringComparer.Ordinal))
            {
                MaybeStartIndexBuild(tenant, _segments[tenant]);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return Task.FromResult(new UpsertResult(applied, points.Count - applied));
    }

    public Task<int> DeleteAsync(string tenant, IReadOnlyList<string> pinIds, long version, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var deleted = 0;
        _lock.EnterWriteLock();
        try
        {
            var segment = Segment(tenant);
            var records = new List<LogRecord>(pinIds.Count);
            foreach (var id in pinIds)
            {
                if (segment.Delete(id, version))
                {
                    deleted++;
                }

                records.Add(new LogRecord.DeleteRecord(tenant, id, version));
            }

            Persist(records);
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return Task.FromResult(deleted);
    }

    public Task<IReadOnlyList<StoredPoint>> GetAsync(string tenant, IReadOnlyList<string> pinIds, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterReadLock();
        try
        {
            var found = new List<StoredPoint>(pinIds.Count);
            if (_segments.TryGetValue(tenant, out var segment))
            {
                foreach (var id in pinIds)
                {
                    if (segment.TryGet(id, out var entry))
                    {
                        found.Add(segment.Materialize(entry));
                    }
                }
            }

            return Task.FromResult<IReadOnlyList<StoredPoint>>(found);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterReadLock();
        try
        {
            var dense = query.Dense is { Length: > 0 } ? query.Dense : null;
            var sparse = query.Sparse is { Count: > 0 } ? query.Sparse : null;
            if (dense is not null && _dimensions > 0)
            {
                CheckQuery(dense, query.EmbedderVersion);
            }

            if (!_segments.TryGetValue(query.Tenant, out var segment) || segment.Count == 0 || query.Limit <= 0
                || (dense is null && sparse is null))
            {
                return Task.FromResult<IReadOnlyList<SearchHit>>([]);
            }

            var prefetch = _search.PrefetchLimit(query.Limit);
            using var selection = segment.Select(CompiledFilter.Compile(query.Filter, _keywords), null);
            var denseHits = dense is null ? [] : segment.DenseTop(dense, selection, prefetch);
            var sparseHits = sparse is null ? [] : segment.SparseTop(sparse, selection, prefetch);
            return Task.FromResult(Fuse(segment, denseHits, sparseHits, dense, sparse is not null, query.Limit, query.WithVectors));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task<IReadOnlyList<SearchHit>> RecommendAsync(RecommendQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterReadLock();
        try
        {
            if (!_segments.TryGetValue(query.Tenant, out var segment))
            {
                throw ServiceRuleException.NotFound($"Pin '{query.PositiveIds.FirstOrDefault()}' was not found.");
            }

            var target = RecommendTarget.Compute(
                query.PositiveIds.Select(id => VectorOf(segment, id)).ToList(),
                query.NegativeIds.Select(id => VectorOf(segment, id)).ToList());
            var examples = query.PositiveIds.Concat(query.NegativeIds).ToHashSet(StringComparer.Ordinal);
            using var selection = segment.Select(CompiledFilter.Compile(query.Filter, _keywords), examples);
            var hits = segment.DenseTop(target, selection, query.Limit);
            return Task.FromResult<IReadOnlyList<SearchHit>>(
                hits.Select(h => new SearchHit(Point(segment, h.Entry, query.WithVectors), h.Score, h.Score, 0f)).ToList());
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task<CollectionStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterReadLock();
        try
        {
            long count = string.IsNullOrEmpty(tenant)
                ? _segments.Values.Sum(s => (long)s.Count)
                : _segments.TryGetValue(tenant, out var s) ? s.Count : 0;
            return Task.FromResult(new CollectionStats(count, _dimensions, _embedderVersion, "embedded"));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        // The container may dispose it twice (registered as itself and as IVectorStore).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopIndexBuilds();
        _files?.Dispose();
        _lock.Dispose();
    }

    /// <summary>The collection's shape after accepting <paramref name="point"/>: the first point sets it, every
    /// later one must match it. Shared with the Qdrant backend so both refuse the same batches.</summary>
    internal static (int Dimensions, string EmbedderVersion) CheckShape(StoredPoint point, int dimensions, string embedderVersion)
    {
        if (dimensions == 0)
        {
            return (point.Dense.Length, point.EmbedderVersion);
        }

        if (point.Dense.Length != dimensions || point.EmbedderVersion != embedderVersion)
        {
            throw ServiceRuleException.FailedPrecondition(
                $"Pin '{point.Pin.Id}' has a {point.Dense.Length}-dimensional '{point.EmbedderVersion}' vector; the collection " +
                $"holds {dimensions}-dimensional '{embedderVersion}' vectors. Re-embed the catalog to change models.");
        }

        return (dimensions, embedderVersion);
    }

    /// <summary>A dense query must come from the collection's embedder and have its width.</summary>
    internal static void CheckQuery(float[] dense, string? queryEmbedderVersion, int dimensions, string embedderVersion)
    {
        if (queryEmbedderVersion is { Length: > 0 } version && version != embedderVersion)
        {
            throw ServiceRuleException.FailedPrecondition(
                $"The query was embedded by '{version}' but the collection holds '{embedderVersion}' vectors.");
        }

        if (dense.Length != dimensions)
        {
            throw ServiceRuleException.FailedPrecondition(
                $"The query vector has {dense.Length} dimensions; the collection has {dimensions}.");
        }
    }

    private void CheckQuery(float[] dense, string? queryEmbedderVersion) =>
        CheckQuery(dense, queryEmbedderVersion, _dimensions, _embedderVersion);

    private static float[] VectorOf(Segment segment, string id) =>
        segment.TryGet(id, out var entry)
            ? segment.VectorAt(entry.Slot).ToArray()
            : throw ServiceRuleException.NotFound($"Pin '{id}' was not found.");

    /// <summary>Fuses the branches by reciprocal rank (<see cref="SlotFusion"/>: the same result as
    /// <see cref="ReciprocalRankFusion"/>, which the Qdrant backend uses); every hybrid hit gets its cosine to the dense
    /// query, also the pins only the sparse branch found, so callers need not fetch vectors for it. On a quantised
    /// segment that is the int8 estimate of the cosine for every hit (the dense branch's score; one int8 row read for a
    /// sparse-only pin, <see cref="Segment.DenseScore"/>) unless <see cref="EmbeddedStoreOptions.FloatRescore"/>, else
    /// the exact cosine.</summary>
    private static IReadOnlyList<SearchHit> Fuse(
        Segment segment, List<(Segment.Entry Entry, float Score)> dense, List<(Segment.Entry Entry, float Score)> sparse,
        float[]? denseQuery, bool hasSparse, int limit, bool withVectors)
    {
        if (denseQuery is not null && hasSparse)
        {
            return SlotFusion.Fuse(segment, dense, sparse, denseQuery, limit, withVectors);
        }

        var hasDense = denseQuery is not null;
        var single = hasDense ? dense : sparse;
        var hits = new List<SearchHit>(Math.Min(limit, single.Count));
        for (var i = 0; i < single.Count && i < limit; i++)
        {
            var (entry, score) = single[i];
            hits.Add(new SearchHit(Point(segment, entry, withVectors), score, hasDense ? score : 0f, hasSparse ? score : 0f));
        }

        return hits;
    }

    /// <summary>The stored point of a hit: with a copy of its vector when asked for, else the stored instance.</summary>
    private static StoredPoint Point(Segment segment, Segment.Entry entry, bool withVectors) =>
        withVectors ? segment.Materialize(entry) : entry.Point;

    private Segment Segment(string tenant)
    {
        if (!_segments.TryGetValue(tenant, out var segment))
        {
            segment = new Segment(_dimensions, _keywords, _terms, _options, c => LogCalibrated(tenant, c));
            _segments[tenant] = segment;
        }

        segment.EnsureDimensions(_dimensions);
        return segment;
    }

    private void Apply(LogRecord record)
    {
        switch (record)
        {
            case LogRecord.UpsertRecord upsert:
                (_dimensions, _embedderVersion) = CheckShape(upsert.Point, _dimensions, _embedderVersion);
                Segment(upsert.Point.Pin.Tenant).Upsert(upsert.Point);
                break;
            case LogRecord.DeleteRecord delete:
                Segment(delete.Tenant).Delete(delete.PinId, delete.Version);
                break;
        }
    }

    private void Persist(List<LogRecord> records)
    {
        if (_files is null || records.Count == 0)
        {
            return;
        }

        _files.Append(records);
        _files.Flush();
        if (_files.LogBytes > _options.CompactionLogBytes)
        {
            var started = Stopwatch.GetTimestamp();
            _files.Compact(Snapshot());
            LogCompacted(_logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private IEnumerable<LogRecord> Snapshot()
    {
        foreach (var segment in _segments.Values)
        {
            foreach (var entry in segment.Entries)
            {
                yield return new LogRecord.UpsertRecord(segment.Materialize(entry));
            }
        }

        foreach (var (tenant, segment) in _segments)
        {
            foreach (var (id, version) in segment.Tombstones)
            {
                yield return new LogRecord.DeleteRecord(tenant, id, version);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Embedded vector store opened at {Path}: {Pins} pins from {Records} records ({Truncated} torn bytes cut) in {Ms:F0} ms")]
    private static partial void LogOpened(ILogger logger, string path, int pins, int records, long truncated, double ms);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information,
        Message = "Embedded vector store scores its int8 and 4-bit vectors with the {Kernel} kernel (AvxVnni, Avx2 or Portable: the same scores, fastest first)")]
    private static partial void LogKernel(ILogger logger, string kernel);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Embedded vector store compacted in {Ms:F0} ms")]
    private static partial void LogCompacted(ILogger logger, double ms);
}

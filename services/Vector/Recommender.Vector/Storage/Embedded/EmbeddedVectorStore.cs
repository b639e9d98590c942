using System.Diagnostics;
using System.Numerics.Tensors;
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
    private readonly EmbeddedStoreOptions _options;
    private readonly VectorSearchOptions _search;
    private readonly ILogger<EmbeddedVectorStore> _logger;
    private readonly StoreFiles? _files;
    private int _dimensions;
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
        }
    }

    public Task<UpsertResult> UpsertAsync(IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var applied = 0;
        _lock.EnterWriteLock();
        try
        {
            var accepted = new List<LogRecord>(points.Count);
            foreach (var point in points)
            {
                CheckShape(point);
                if (Segment(point.Pin.Tenant).Upsert(point))
                {
                    applied++;
                    accepted.Add(new LogRecord.UpsertRecord(point));
                }
            }

            Persist(accepted);
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
                        found.Add(entry.Point);
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
            if (!_segments.TryGetValue(query.Tenant, out var segment) || segment.Count == 0 || query.Limit <= 0)
            {
                return Task.FromResult<IReadOnlyList<SearchHit>>([]);
            }

            var dense = query.Dense is { Length: > 0 } ? query.Dense : null;
            if (dense is not null)
            {
                if (query.EmbedderVersion is { Length: > 0 } version && version != _embedderVersion)
                {
                    throw ServiceRuleException.FailedPrecondition(
                        $"The query was embedded by '{version}' but the collection holds '{_embedderVersion}' vectors.");
                }

                if (dense.Length != _dimensions)
                {
                    throw ServiceRuleException.FailedPrecondition(
                        $"The query vector has {dense.Length} dimensions; the collection has {_dimensions}.");
                }
            }

            var passes = FilterEvaluator.Compile(query.Filter);
            var prefetch = _search.PrefetchLimit(query.Limit);
            var denseHits = dense is null ? [] : segment.DenseTop(dense, passes, prefetch);
            var sparseHits = query.Sparse is { Count: > 0 } sparse ? segment.SparseTop(sparse, passes, prefetch) : [];
            return Task.FromResult(Fuse(denseHits, sparseHits, dense is not null, query.Sparse is { Count: > 0 }, query.Limit));
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
            var filter = FilterEvaluator.Compile(query.Filter);
            var hits = segment.DenseTop(target, e => !examples.Contains(e.Point.Pin.Id) && filter(e), query.Limit);
            return Task.FromResult<IReadOnlyList<SearchHit>>(
                hits.Select(h => new SearchHit(h.Entry.Point, h.Score, h.Score, 0f)).ToList());
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
        _files?.Dispose();
        _lock.Dispose();
    }

    private static float[] VectorOf(Segment segment, string id) =>
        segment.TryGet(id, out var entry)
            ? segment.VectorAt(entry.Slot).ToArray()
            : throw ServiceRuleException.NotFound($"Pin '{id}' was not found.");

    private static IReadOnlyList<SearchHit> Fuse(
        List<(Segment.Entry Entry, float Score)> dense, List<(Segment.Entry Entry, float Score)> sparse,
        bool hasDense, bool hasSparse, int limit)
    {
        if (!(hasDense && hasSparse))
        {
            return (hasDense ? dense : sparse).Take(limit)
                .Select(h => new SearchHit(h.Entry.Point, h.Score, hasDense ? h.Score : 0f, hasSparse ? h.Score : 0f))
                .ToList();
        }

        var denseScores = dense.ToDictionary(h => h.Entry.Point.Pin.Id, h => h.Score, StringComparer.Ordinal);
        var sparseScores = sparse.ToDictionary(h => h.Entry.Point.Pin.Id, h => h.Score, StringComparer.Ordinal);
        return ReciprocalRankFusion.Fuse<(Segment.Entry Entry, float Score)>([dense, sparse], h => h.Entry.Point.Pin.Id, limit)
            .Select(f =>
            {
                var id = f.Item.Entry.Point.Pin.Id;
                return new SearchHit(f.Item.Entry.Point, f.Score, denseScores.GetValueOrDefault(id), sparseScores.GetValueOrDefault(id));
            })
            .ToList();
    }

    private void CheckShape(StoredPoint point)
    {
        if (_dimensions == 0)
        {
            _dimensions = point.Dense.Length;
            _embedderVersion = point.EmbedderVersion;
            return;
        }

        if (point.Dense.Length != _dimensions || point.EmbedderVersion != _embedderVersion)
        {
            throw ServiceRuleException.FailedPrecondition(
                $"Pin '{point.Pin.Id}' has a {point.Dense.Length}-dimensional '{point.EmbedderVersion}' vector; the collection " +
                $"holds {_dimensions}-dimensional '{_embedderVersion}' vectors. Re-embed the catalog to change models.");
        }
    }

    private Segment Segment(string tenant)
    {
        if (!_segments.TryGetValue(tenant, out var segment))
        {
            segment = new Segment(_dimensions);
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
                CheckShape(upsert.Point);
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
                yield return new LogRecord.UpsertRecord(entry.Point);
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

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Embedded vector store compacted in {Ms:F0} ms")]
    private static partial void LogCompacted(ILogger logger, double ms);
}

using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Recommender.Contracts.Ingestion.V1;

namespace Recommender.Ingestion.Import;

/// <summary>One import's progress. Counters are updated by the importer and read by status calls at any time.</summary>
public sealed class ImportJob(string id, string tenant, int maxErrors)
{
    private readonly Lock _lock = new();
    private readonly List<RowError> _errors = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private long _bytes;
    private long _rows;
    private long _accepted;
    private long _rejected;
    private bool _truncated;
    private ImportState _state = ImportState.Running;
    private DateTimeOffset? _finishedAt;
    private string _failure = "";

    public string Id => id;

    public string Tenant => tenant;

    public void AddBytes(int count) => Interlocked.Add(ref _bytes, count);

    public void RowRead() => Interlocked.Increment(ref _rows);

    public void Accepted(int count) => Interlocked.Add(ref _accepted, count);

    public void Reject(long line, string reason)
    {
        Interlocked.Increment(ref _rejected);
        lock (_lock)
        {
            if (_errors.Count < maxErrors)
            {
                _errors.Add(new RowError { Line = line, Reason = reason });
            }
            else
            {
                _truncated = true;
            }
        }
    }

    public void Finish(string? failure)
    {
        lock (_lock)
        {
            _state = failure is null ? ImportState.Completed : ImportState.Failed;
            _failure = failure ?? "";
            _finishedAt = DateTimeOffset.UtcNow;
        }
    }

    public IngestStatus Snapshot()
    {
        lock (_lock)
        {
            var status = new IngestStatus
            {
                JobId = id,
                Tenant = tenant,
                State = _state,
                BytesReceived = Interlocked.Read(ref _bytes),
                Rows = Interlocked.Read(ref _rows),
                Accepted = Interlocked.Read(ref _accepted),
                Rejected = Interlocked.Read(ref _rejected),
                ErrorsTruncated = _truncated,
                StartedAt = Timestamp.FromDateTimeOffset(_startedAt),
                Failure = _failure,
            };
            status.Errors.Add(_errors);
            if (_finishedAt is { } finished)
            {
                status.FinishedAt = Timestamp.FromDateTimeOffset(finished);
            }

            return status;
        }
    }
}

/// <summary>Recent import jobs by id, in memory (the oldest finished jobs are forgotten past a limit).</summary>
public sealed class ImportJobRegistry(IOptions<IngestionOptions> options)
{
    private readonly ConcurrentDictionary<string, ImportJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public ImportJob? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Registers a new job; false when the id is taken.</summary>
    public bool TryStart(string id, string tenant, out ImportJob job)
    {
        job = new ImportJob(id, tenant, options.Value.MaxReportedErrors);
        if (!_jobs.TryAdd(id, job))
        {
            return false;
        }

        _order.Enqueue(id);
        while (_order.Count > options.Value.MaxRememberedImports && _order.TryDequeue(out var old))
        {
            _jobs.TryRemove(old, out _);
        }

        return true;
    }
}

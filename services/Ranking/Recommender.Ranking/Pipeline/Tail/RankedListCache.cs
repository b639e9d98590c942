using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>A ranked list as its first page saw it: later pages of the same query id are cut from it, so scores that
/// change in between (engagement, a model swap) cannot repeat or skip pins across pages.</summary>
public sealed class RankedList(string queryId, Candidate[] ranked, int totalCandidates, string modelVersion, IRankerModel model, Contracts.Ranking.V1.Intent? intent)
{
    public string QueryId { get; } = queryId;

    public Candidate[] Ranked { get; } = ranked;

    public int TotalCandidates { get; } = totalCandidates;

    public string ModelVersion { get; } = modelVersion;

    /// <summary>The model that scored the list; explanations of later pages come from it.</summary>
    public IRankerModel Model { get; } = model;

    public Contracts.Ranking.V1.Intent? Intent { get; } = intent;

    internal long ExpiresAt { get; set; }
}

/// <summary>Bounded, expiring store of <see cref="RankedList"/>s by query id (oldest evicted first). A page token whose
/// list was evicted or expired falls back to ranking again from its offset.</summary>
public sealed class RankedListCache(IOptions<PaginationOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RankedList> _lists = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly long _ttlTicks = TimeSpan.FromSeconds(options.Value.SnapshotTtlSeconds).Ticks;
    private readonly int _max = options.Value.MaxSnapshots;

    private int _count;

    /// <summary>Lists kept now (kept as a counter: ConcurrentDictionary.Count takes every lock).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add(RankedList list)
    {
        if (_max == 0)
        {
            return;
        }

        var now = time.GetUtcNow().UtcTicks;
        list.ExpiresAt = now + _ttlTicks;
        if (_lists.TryAdd(list.QueryId, list))
        {
            Interlocked.Increment(ref _count);
            _order.Enqueue(list.QueryId);
        }

        // Drop from the oldest end while over the bound or expired.
        while (_order.TryPeek(out var oldest))
        {
            var live = _lists.TryGetValue(oldest, out var l);
            if (live && Volatile.Read(ref _count) <= _max && l!.ExpiresAt > now)
            {
                break;
            }

            if (_order.TryDequeue(out var id) && _lists.TryRemove(id, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    public bool TryGet(string queryId, out RankedList list)
    {
        if (_lists.TryGetValue(queryId, out list!) && list.ExpiresAt > time.GetUtcNow().UtcTicks)
        {
            return true;
        }

        list = null!;
        return false;
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>Ranked lists by query id, so later pages of a query are cut from the list its first page saw, even when
/// scores change in between (engagement, a model swap). Bounded and expiring: a ring of
/// <see cref="PaginationOptions.MaxSnapshots"/> reused slots (<see cref="RankedListSlot"/>), so each new list replaces
/// the oldest. A page token whose list was replaced or expired falls back to ranking again from its offset.</summary>
public sealed class RankedListCache(IOptions<PaginationOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RankedListSlot> _lists = new(StringComparer.Ordinal);
    private readonly RankedListSlot?[] _ring = new RankedListSlot?[options.Value.MaxSnapshots];
    private readonly long _ttlTicks = TimeSpan.FromSeconds(options.Value.SnapshotTtlSeconds).Ticks;
    private long _next = -1;

    /// <summary>False when <see cref="PaginationOptions.MaxSnapshots"/> is 0: nothing is kept, so there is no list to build.</summary>
    public bool Enabled => _ring.Length > 0;

    /// <summary>Keeps <paramref name="ranked"/> (copied) as the list of <paramref name="queryId"/>, in place of the oldest
    /// list; false when nothing is kept (disabled, or the ring came round to a slot still being written).</summary>
    public bool Add(string queryId, ReadOnlySpan<Candidate> ranked, int totalCandidates, IRankerModel model, Contracts.Ranking.V1.Intent? intent)
    {
        if (_ring.Length == 0)
        {
            return false;
        }

        var index = (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_ring.Length);
        var slot = LazyInitializer.EnsureInitialized(ref _ring[index]);
        var expiresAt = time.GetUtcNow().UtcTicks + _ttlTicks;
        if (!slot.TryWrite(queryId, ranked, totalCandidates, model, intent, expiresAt, out var replaced))
        {
            return false;
        }

        if (replaced is not null)
        {
            _lists.TryRemove(KeyValuePair.Create(replaced, slot));
        }

        _lists[queryId] = slot;

        // A writer that came round the ring meanwhile replaced this list already: drop the entry it could not see.
        if (!string.Equals(slot.QueryId, queryId, StringComparison.Ordinal))
        {
            _lists.TryRemove(KeyValuePair.Create(queryId, slot));
        }

        return true;
    }

    /// <summary>A copy of the page at <paramref name="offset"/> (up to <paramref name="pageSize"/> pins) of the list kept
    /// for <paramref name="queryId"/>; false when that list was replaced or expired.</summary>
    public bool TryGetPage(string queryId, int offset, int pageSize, out KeptPage page)
    {
        var read = _lists.TryGetValue(queryId, out var slot) ? slot.TryRead(queryId, offset, pageSize, time.GetUtcNow().UtcTicks) : null;
        page = read!;
        return read is not null;
    }
}

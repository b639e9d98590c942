using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>A ranked list as its first page saw it: later pages of the same query id are cut from it, so scores that
/// change in between (engagement, a model swap) cannot repeat or skip pins across pages.
/// <para>Kept compact, because every first page keeps one for minutes and each survives into the older GC generations:
/// one struct per pin (the pin itself is the store's or <see cref="RetrievedPins"/>' shared instance) and the features
/// as float32 in one block. Float32 is what the tree models compare (<c>(float)feature &lt;= threshold</c>), so later
/// pages explain with the same tree decisions; a linear model's contributions may differ in the 7th digit.</para></summary>
public sealed class RankedList
{
    private readonly RankedEntry[] _entries;
    private readonly float[] _features;

    public RankedList(string queryId, Candidate[] ranked, int totalCandidates, IRankerModel model, Contracts.Ranking.V1.Intent? intent)
    {
        QueryId = queryId;
        TotalCandidates = totalCandidates;
        Model = model;
        Intent = intent;
        _entries = new RankedEntry[ranked.Length];
        _features = new float[ranked.Length * RankingFeature.Count];
        for (var i = 0; i < ranked.Length; i++)
        {
            var c = ranked[i];
            _entries[i] = new RankedEntry(c);
            c.Features.CopyTo(_features.AsSpan(i * RankingFeature.Count, RankingFeature.Count));
        }
    }

    public string QueryId { get; }

    /// <summary>Pins in the list (all pages).</summary>
    public int Count => _entries.Length;

    public int TotalCandidates { get; }

    /// <summary>The model that scored the list; explanations of later pages come from it.</summary>
    public IRankerModel Model { get; }

    public Contracts.Ranking.V1.Intent? Intent { get; }

    internal long ExpiresAt { get; set; }

    /// <summary>The pin at <paramref name="position"/> (0-based).</summary>
    public ref readonly RankedEntry this[int position] => ref _entries[position];

    /// <summary>The features of the pin at <paramref name="position"/>, widened back to double into <paramref name="into"/>.</summary>
    public void Features(int position, Span<double> into)
    {
        var row = _features.AsSpan(position * RankingFeature.Count, RankingFeature.Count);
        for (var f = 0; f < row.Length; f++)
        {
            into[f] = row[f];
        }
    }
}

/// <summary>What a later page shows of one ranked pin: the pin, its score, and what rules and diversity did to it.</summary>
public readonly struct RankedEntry(Candidate c)
{
    public PinData Pin { get; } = c.Pin;

    /// <summary>The pin as a result's message: the retrieved pin's shared one (<see cref="RetrievedPin.Message"/>), or
    /// a new one for a candidate that did not come through <see cref="RetrievedPins"/>.</summary>
    public Contracts.Catalog.V1.Pin Message => _retrieved?.Message ?? Pin.ToProto();

    private readonly RetrievedPin? _retrieved = c.Retrieved;

    public double Score { get; } = c.Score;

    public TailEffects Effects { get; } = c.Effects;

    public int ModelRank { get; } = c.ModelRank;

    public double BoostDelta { get; } = c.BoostDelta;

    public double BuryDelta { get; } = c.BuryDelta;

    public double OutOfStockDelta { get; } = c.OutOfStockDelta;
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

    /// <summary>False when <see cref="PaginationOptions.MaxSnapshots"/> is 0: nothing is kept, so there is no list to build.</summary>
    public bool Enabled => _max > 0;

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

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>
/// One slot of <see cref="RankedListCache"/>'s ring: a ranked list as its first page saw it, in arrays the slot keeps
/// and refills for every list that lands in it. So keeping a list allocates nothing (after the ring's first lap), and
/// the lists do not pass through the young GC generations: one per first page, each kept for seconds to minutes, they
/// used to be most of what every gen0 collection copied.
/// <para>Compact: one struct per pin (the pin itself is the store's or <see cref="RetrievedPins"/>' shared instance)
/// and the features as float32 in one block. Float32 is what the tree models compare (<c>(float)feature &lt;=
/// threshold</c>), so later pages explain with the same tree decisions; a linear model's contributions may differ in
/// the 7th digit.</para>
/// <para>A writer holds the slot alone (a second one arriving while it writes keeps nothing) and bumps a version to odd
/// before and to even after it writes. A reader copies what it needs and keeps the copy only when the version was even
/// and unchanged around it; otherwise the list counts as evicted.</para>
/// </summary>
internal sealed class RankedListSlot
{
    private RankedEntry[] _entries = [];
    private float[] _features = [];
    private int _version;
    private int _writing;

    private string? _queryId;
    private int _count;
    private int _totalCandidates;
    private IRankerModel? _model;
    private Contracts.Ranking.V1.Intent? _intent;
    private long _expiresAt;

    /// <summary>The query id of the list in the slot (null before the first).</summary>
    public string? QueryId => Volatile.Read(ref _queryId);

    /// <summary>Puts the list in the slot; false when another writer holds it. <paramref name="replaced"/> is the query
    /// id of the list it replaced.</summary>
    public bool TryWrite(
        string queryId, ReadOnlySpan<Candidate> ranked, int totalCandidates, IRankerModel model, Contracts.Ranking.V1.Intent? intent, long expiresAt, out string? replaced)
    {
        replaced = null;
        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            replaced = _queryId;
            Interlocked.Increment(ref _version);
            if (_entries.Length < ranked.Length)
            {
                _entries = new RankedEntry[ranked.Length];
                _features = new float[ranked.Length * RankingFeature.Count];
            }

            for (var i = 0; i < ranked.Length; i++)
            {
                var c = ranked[i];
                _entries[i] = new RankedEntry(c);
                c.Features.CopyTo(_features.AsSpan(i * RankingFeature.Count, RankingFeature.Count));
            }

            // Entries past the list would keep pins of an older, longer list reachable.
            _entries.AsSpan(ranked.Length).Clear();
            _count = ranked.Length;
            _totalCandidates = totalCandidates;
            _model = model;
            _intent = intent;
            _expiresAt = expiresAt;
            Volatile.Write(ref _queryId, queryId);
            Interlocked.Increment(ref _version);
            return true;
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>A copy of positions [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of
    /// the list <paramref name="queryId"/>, or null when the slot holds another list, the list expired (at
    /// <paramref name="now"/>), or a writer changed the slot while it was copied.</summary>
    public KeptPage? TryRead(string queryId, int offset, int length, long now)
    {
        var version = Volatile.Read(ref _version);
        if ((version & 1) != 0 || !string.Equals(Volatile.Read(ref _queryId), queryId, StringComparison.Ordinal) || _expiresAt <= now)
        {
            return null;
        }

        // The fields may belong to a list a writer is putting in meanwhile: bounds are checked against the arrays read
        // here, and the version check below throws such a copy away.
        var (entries, features, count, model) = (_entries, _features, _count, _model);
        var n = Math.Min(length, count - offset);
        if (offset < 0 || n <= 0 || offset + n > entries.Length || (offset + n) * RankingFeature.Count > features.Length || model is null)
        {
            return null;
        }

        var page = new KeptPage(offset, n)
        {
            QueryId = queryId,
            Count = count,
            TotalCandidates = _totalCandidates,
            Model = model,
            Intent = _intent,
        };
        entries.AsSpan(offset, n).CopyTo(page.Entries);
        features.AsSpan(offset * RankingFeature.Count, n * RankingFeature.Count).CopyTo(page.FeatureRows);
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _version) == version ? page : null;
    }
}

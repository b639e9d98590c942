namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// <see cref="TopK"/> over slot numbers: the same order (best score first, equal scores by ordinal pin id) and the same
/// decisions, but the heap holds (score, slot) pairs (no object references stored per candidate), ties compare the
/// slots' <see cref="IdRanks"/> (id strings only for a slot not ranked yet), entries are looked up at
/// <see cref="Drain"/>, and the buffers are reused between searches of one thread (<see cref="Reset"/>).
/// <see cref="Worst"/> lets a caller reject a worse score without a call.
/// </summary>
internal sealed class SlotTopK
{
    private Hit[] _heap = [];
    private ulong[] _keys = [];
    private List<Segment.Entry?> _entries = [];
    private int[] _ranks = [];
    private int _k;
    private int _count;

    /// <summary>The score to reach once full (a lower score is always rejected); -infinity while filling up.</summary>
    public float Worst { get; private set; }

    public void Reset(int k, List<Segment.Entry?> entries, int[] ranks)
    {
        _k = Math.Max(0, k);
        if (_heap.Length < _k)
        {
            _heap = new Hit[_k];
        }

        _entries = entries;
        _ranks = ranks;
        _count = 0;
        Worst = _k == 0 ? float.PositiveInfinity : float.NegativeInfinity;
    }

    public void Offer(int slot, float score)
    {
        if (_count < _k)
        {
            _heap[_count] = new Hit(score, slot);
            SiftUp(_count++);
            if (_count == _k)
            {
                Worst = _heap[0].Score;
            }

            return;
        }

        // As TopK: worse than the worst kept (by score, then by id) is rejected.
        var hit = new Hit(score, slot);
        if (_k == 0 || score < _heap[0].Score || (score == _heap[0].Score && IsWorse(hit, _heap[0])))
        {
            return;
        }

        _heap[0] = hit;
        SiftDown(0);
        Worst = _heap[0].Score;
    }

    /// <summary>Best first; the heap is empty afterwards. When every kept slot has an id rank (the usual case) the hits
    /// are sorted as packed integer keys (score bits, then rank), which orders them exactly as <see cref="BestFirst"/>
    /// does at a fraction of the cost of a comparer call per comparison.</summary>
    public List<(Segment.Entry Entry, float Score)> Drain()
    {
        var hits = _heap.AsSpan(0, _count);
        if (!SortByKeys(hits))
        {
            hits.Sort(new BestFirst(this));
        }

        var result = new List<(Segment.Entry Entry, float Score)>(_count);
        foreach (var hit in hits)
        {
            result.Add((_entries[hit.Slot]!, hit.Score));
        }

        _count = 0;
        _entries = [];
        _ranks = [];
        return result;
    }

    /// <summary>Sorts <paramref name="hits"/> best first by keys whose high half is the score's order-preserving bits,
    /// inverted (higher scores first; -0 counts as 0, as in <see cref="float.CompareTo(float)"/>) and whose low half is
    /// the id rank (smaller ids first on equal scores). Ranks are unique, so no two keys are equal. False, with nothing
    /// moved, when a slot has no rank or a score is NaN: the comparer decides those.</summary>
    private bool SortByKeys(Span<Hit> hits)
    {
        if (_keys.Length < hits.Length)
        {
            _keys = new ulong[_heap.Length];
        }

        var keys = _keys.AsSpan(0, hits.Length);
        for (var i = 0; i < hits.Length; i++)
        {
            var rank = IdRanks.Of(_ranks, hits[i].Slot);
            var score = hits[i].Score + 0f;
            if (rank == 0 || float.IsNaN(score))
            {
                return false;
            }

            keys[i] = ((ulong)~ShortlistKeys.OrderedBits(score) << 32) | (uint)rank;
        }

        keys.Sort(hits);
        return true;
    }

    /// <summary>Whether <paramref name="a"/> ranks below <paramref name="b"/>: a lower score, or an equal score and a
    /// larger pin id.</summary>
    private bool IsWorse(Hit a, Hit b)
    {
        var byScore = a.Score.CompareTo(b.Score);
        return byScore != 0 ? byScore < 0 : CompareIds(a.Slot, b.Slot) > 0;
    }

    private int CompareIds(int a, int b)
    {
        var ranks = _ranks;
        var rankA = IdRanks.Of(ranks, a);
        var rankB = IdRanks.Of(ranks, b);
        return IdRanks.Compare(rankA, _entries[a]!, rankB, _entries[b]!);
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!IsWorse(_heap[i], _heap[parent]))
            {
                break;
            }

            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= _count)
            {
                return;
            }

            var worst = left;
            var right = left + 1;
            if (right < _count && IsWorse(_heap[right], _heap[left]))
            {
                worst = right;
            }

            if (!IsWorse(_heap[worst], _heap[i]))
            {
                return;
            }

            (_heap[i], _heap[worst]) = (_heap[worst], _heap[i]);
            i = worst;
        }
    }

    private readonly record struct Hit(float Score, int Slot);

    /// <summary>Higher score first, then smaller id.</summary>
    private readonly struct BestFirst(SlotTopK top) : IComparer<Hit>
    {
        public int Compare(Hit a, Hit b)
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : top.CompareIds(a.Slot, b.Slot);
        }
    }
}

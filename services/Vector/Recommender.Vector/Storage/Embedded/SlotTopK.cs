namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// <see cref="TopK"/> over slot numbers: the same order (best score first, equal scores by ordinal pin id) and the same
/// decisions, but the heap holds (score, slot) pairs (no object references stored per candidate), ties compare the
/// slots' <see cref="IdRanks"/> (id strings only for a slot not ranked yet), entries are looked up at
/// <see cref="Drain"/>, and the buffers are reused between searches of one thread (<see cref="Reset"/>). The sparse
/// branch and the quantised dense searches' last step (<see cref="Segment"/>'s Finish) keep their top-k in one.
/// <see cref="Worst"/> lets a caller reject a worse score without a call.
/// </summary>
internal sealed class SlotTopK
{
    private Hit[] _heap = [];
    private ulong[] _keys = [];
    private Hit[] _sorted = [];
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

    /// <summary>Best first; the heap is empty afterwards.</summary>
    public List<(Segment.Entry Entry, float Score)> Drain()
    {
        var hits = _heap.AsSpan(0, _count);
        SortBestFirst(hits);
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

    /// <summary>Sorts <paramref name="hits"/> as <see cref="BestFirst"/> orders them, without a comparer call per
    /// comparison and without reading a slot's rank or id unless its score is tied: the hits are sorted as integer keys
    /// (the score's order-preserving bits, inverted so higher scores come first, then the hit's position; -0 counts as
    /// 0, as in <see cref="float.CompareTo(float)"/>), then each run of equal scores is ordered by id. A NaN score
    /// leaves it all to the comparer.</summary>
    private void SortBestFirst(Span<Hit> hits)
    {
        var n = hits.Length;
        if (_keys.Length < n)
        {
            _keys = new ulong[_heap.Length];
            _sorted = new Hit[_heap.Length];
        }

        var keys = _keys.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            var score = hits[i].Score + 0f;
            if (float.IsNaN(score))
            {
                hits.Sort(new BestFirst(this));
                return;
            }

            keys[i] = ((ulong)~ShortlistKeys.OrderedBits(score) << 32) | (uint)i;
        }

        keys.Sort();
        var sorted = _sorted.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            sorted[i] = hits[(int)(uint)keys[i]];
        }

        for (var from = 0; from < n;)
        {
            var to = from + 1;
            while (to < n && keys[to] >> 32 == keys[from] >> 32)
            {
                to++;
            }

            if (to - from > 1)
            {
                sorted[from..to].Sort(new BestFirst(this));
            }

            from = to;
        }

        sorted.CopyTo(hits);
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

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// <see cref="TopK"/> over slot numbers: the same order (best score first, equal scores by ordinal pin id) and the same
/// decisions, but the heap holds ints and floats (no object references stored per candidate, so no covariance checks),
/// entries are looked up only to break a tie and at <see cref="Drain"/>, and the arrays are reused between searches of
/// one thread (<see cref="Reset"/>). <see cref="Worst"/> lets a caller reject a worse score without a call.
/// </summary>
internal sealed class SlotTopK
{
    private int[] _slots = [];
    private float[] _scores = [];
    private List<Segment.Entry?> _entries = [];
    private int _k;
    private int _count;

    /// <summary>The score to reach once full (a lower score is always rejected); -infinity while filling up.</summary>
    public float Worst { get; private set; }

    public void Reset(int k, List<Segment.Entry?> entries)
    {
        _k = Math.Max(0, k);
        if (_slots.Length < _k)
        {
            _slots = new int[_k];
            _scores = new float[_k];
        }

        _entries = entries;
        _count = 0;
        Worst = _k == 0 ? float.PositiveInfinity : float.NegativeInfinity;
    }

    public void Offer(int slot, float score)
    {
        if (_count < _k)
        {
            _slots[_count] = slot;
            _scores[_count] = score;
            SiftUp(_count++);
            if (_count == _k)
            {
                Worst = _scores[0];
            }

            return;
        }

        // As TopK: worse than the worst kept (by score, then by id) is rejected.
        if (_k == 0 || score < _scores[0] || (score == _scores[0] && IsWorse(score, slot, 0)))
        {
            return;
        }

        _slots[0] = slot;
        _scores[0] = score;
        SiftDown(0);
        Worst = _scores[0];
    }

    /// <summary>Best first; the heap is empty afterwards.</summary>
    public List<(Segment.Entry Entry, float Score)> Drain()
    {
        var result = new List<(Segment.Entry Entry, float Score)>(_count);
        for (var i = 0; i < _count; i++)
        {
            result.Add((_entries[_slots[i]]!, _scores[i]));
        }

        result.Sort(static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Entry.Point.Pin.Id, b.Entry.Point.Pin.Id);
        });
        _count = 0;
        _entries = [];
        return result;
    }

    private string IdOf(int slot) => _entries[slot]!.Point.Pin.Id;

    /// <summary>Whether (score, slot) ranks below the heap element at <paramref name="at"/>; ids only on equal scores.</summary>
    private bool IsWorse(float score, int slot, int at)
    {
        var byScore = score.CompareTo(_scores[at]);
        return byScore != 0 ? byScore < 0 : string.CompareOrdinal(IdOf(slot), IdOf(_slots[at])) > 0;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!IsWorse(_scores[i], _slots[i], parent))
            {
                break;
            }

            Swap(i, parent);
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
            if (right < _count && IsWorse(_scores[right], _slots[right], left))
            {
                worst = right;
            }

            if (!IsWorse(_scores[worst], _slots[worst], i))
            {
                return;
            }

            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_slots[a], _slots[b]) = (_slots[b], _slots[a]);
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
    }
}

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Bounded selection of the best scores (a binary min-heap on arrays, no allocation per candidate). Ties go to the
/// smaller pin id (ordinal), so results never depend on scan order; both backends order ties the same way.
/// </summary>
internal sealed class TopK
{
    private readonly int _k;
    private readonly Segment.Entry[] _entries;
    private readonly float[] _scores;
    private int _count;

    public TopK(int k)
    {
        _k = Math.Max(0, k);
        _entries = new Segment.Entry[_k];
        _scores = new float[_k];
    }

    public void Offer(Segment.Entry entry, float score)
    {
        if (_count < _k)
        {
            _entries[_count] = entry;
            _scores[_count] = score;
            SiftUp(_count++);
            return;
        }

        // Fast reject: most candidates are worse than the current worst kept.
        if (_k == 0 || score < _scores[0] || (score == _scores[0] && IsWorse(score, entry, 0)))
        {
            return;
        }

        _entries[0] = entry;
        _scores[0] = score;
        SiftDown(0);
    }

    public void MoveTo(TopK other)
    {
        for (var i = 0; i < _count; i++)
        {
            other.Offer(_entries[i], _scores[i]);
        }
    }

    /// <summary>Best first.</summary>
    public List<(Segment.Entry Entry, float Score)> Drain()
    {
        var result = new List<(Segment.Entry Entry, float Score)>(_count);
        for (var i = 0; i < _count; i++)
        {
            result.Add((_entries[i], _scores[i]));
        }

        result.Sort(static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Entry.Point.Pin.Id, b.Entry.Point.Pin.Id);
        });
        _count = 0;
        return result;
    }

    /// <summary>Whether (score, entry) ranks below the heap element at <paramref name="at"/>.</summary>
    private bool IsWorse(float score, Segment.Entry entry, int at)
    {
        var byScore = score.CompareTo(_scores[at]);
        return byScore != 0 ? byScore < 0 : string.CompareOrdinal(entry.Point.Pin.Id, _entries[at].Point.Pin.Id) > 0;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!IsWorse(_scores[i], _entries[i], parent))
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
            if (right < _count && IsWorse(_scores[right], _entries[right], left))
            {
                worst = right;
            }

            if (!IsWorse(_scores[worst], _entries[worst], i))
            {
                return;
            }

            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_entries[a], _entries[b]) = (_entries[b], _entries[a]);
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
    }
}

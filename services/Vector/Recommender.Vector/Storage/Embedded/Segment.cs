using System.Numerics.Tensors;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// One tenant's pins: vectors in one contiguous array (SIMD-friendly), payload fields pre-normalised for
/// filtering, and an inverted index of sparse terms. Not thread-safe: the store guards it.
/// </summary>
internal sealed class Segment(int dimensions)
{
    private int _dimensions = dimensions;
    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly List<Entry?> _entries = [];
    private readonly Stack<int> _free = new();
    private readonly Dictionary<int, Postings> _postings = [];
    private float[] _vectors = new float[dimensions * 64];

    /// <summary>A segment made before the first vector arrived (by a delete) learns its width on first upsert.</summary>
    public void EnsureDimensions(int width)
    {
        if (_dimensions == 0 && _entries.Count == 0)
        {
            _dimensions = width;
            _vectors = new float[width * 64];
        }
    }

    /// <summary>Versions of deleted pins, so an older upsert still in flight cannot bring one back.</summary>
    public Dictionary<string, long> Tombstones { get; } = new(StringComparer.Ordinal);

    public int Count => _slotById.Count;

    public int Capacity => _entries.Count;

    public Entry? EntryAt(int slot) => _entries[slot];

    public ReadOnlySpan<float> VectorAt(int slot) => _vectors.AsSpan(slot * _dimensions, _dimensions);

    public bool TryGet(string id, out Entry entry)
    {
        if (_slotById.TryGetValue(id, out var slot))
        {
            entry = _entries[slot]!;
            return true;
        }

        entry = null!;
        return false;
    }

    public IEnumerable<Entry> Entries => _entries.Where(e => e is not null)!;

    /// <summary>Applies an upsert unless the store already has this or a newer version (or a newer delete).</summary>
    public bool Upsert(StoredPoint point)
    {
        var id = point.Pin.Id;
        if (Tombstones.TryGetValue(id, out var deletedAt))
        {
            if (point.Pin.Version <= deletedAt)
            {
                return false;
            }

            Tombstones.Remove(id);
        }

        if (_slotById.TryGetValue(id, out var slot))
        {
            if (_entries[slot]!.Point.Pin.Version >= point.Pin.Version)
            {
                return false;
            }

            RemovePostings(slot, _entries[slot]!.Point.Sparse);
        }
        else
        {
            slot = _free.Count > 0 ? _free.Pop() : AddSlot();
            _slotById[id] = slot;
        }

        _entries[slot] = new Entry(point, slot);
        point.Dense.AsSpan().CopyTo(_vectors.AsSpan(slot * _dimensions, _dimensions));
        AddPostings(slot, point.Sparse);
        return true;
    }

    /// <summary>Deletes the pin if its version is older than <paramref name="version"/>; records the tombstone.</summary>
    public bool Delete(string id, long version)
    {
        var deleted = false;
        if (_slotById.TryGetValue(id, out var slot))
        {
            var entry = _entries[slot]!;
            if (entry.Point.Pin.Version >= version)
            {
                return false;
            }

            RemovePostings(slot, entry.Point.Sparse);
            _entries[slot] = null;
            _slotById.Remove(id);
            _free.Push(slot);
            deleted = true;
        }

        Tombstones[id] = Tombstones.TryGetValue(id, out var previous) ? Math.Max(previous, version) : version;
        return deleted;
    }

    /// <summary>Top <paramref name="limit"/> by cosine (vectors are normalised, so a dot product) among pins that pass.</summary>
    public List<(Entry Entry, float Score)> DenseTop(ReadOnlySpan<float> query, Func<Entry, bool> passes, int limit)
    {
        var top = new TopK(limit);
        for (var slot = 0; slot < _entries.Count; slot++)
        {
            var entry = _entries[slot];
            if (entry is null || !passes(entry))
            {
                continue;
            }

            top.Offer(entry, TensorPrimitives.Dot(_vectors.AsSpan(slot * _dimensions, _dimensions), query));
        }

        return top.Drain();
    }

    /// <summary>Top <paramref name="limit"/> by IDF-weighted dot product of sparse vectors; only pins sharing a term.</summary>
    public List<(Entry Entry, float Score)> SparseTop(SparseVector query, Func<Entry, bool> passes, int limit)
    {
        var scores = new Dictionary<int, float>();
        var passCache = new Dictionary<int, bool>();
        var n = Count;
        for (var q = 0; q < query.Count; q++)
        {
            if (!_postings.TryGetValue(query.Indices[q], out var postings) || postings.Slots.Count == 0)
            {
                continue;
            }

            var idf = Idf(n, postings.Slots.Count) * query.Values[q];
            for (var p = 0; p < postings.Slots.Count; p++)
            {
                var slot = postings.Slots[p];
                if (!passCache.TryGetValue(slot, out var ok))
                {
                    ok = passes(_entries[slot]!);
                    passCache[slot] = ok;
                }

                if (ok)
                {
                    scores[slot] = scores.GetValueOrDefault(slot) + (idf * postings.Weights[p]);
                }
            }
        }

        var top = new TopK(limit);
        foreach (var (slot, score) in scores)
        {
            top.Offer(_entries[slot]!, score);
        }

        return top.Drain();
    }

    /// <summary>Qdrant's IDF: ln(1 + (N - n + 0.5) / (n + 0.5)).</summary>
    public static float Idf(int totalDocs, int docsWithTerm) =>
        (float)Math.Log(1 + ((totalDocs - docsWithTerm + 0.5) / (docsWithTerm + 0.5)));

    private int AddSlot()
    {
        _entries.Add(null);
        var needed = _entries.Count * _dimensions;
        if (needed > _vectors.Length)
        {
            Array.Resize(ref _vectors, Math.Max(needed, _vectors.Length * 2));
        }

        return _entries.Count - 1;
    }

    private void AddPostings(int slot, SparseVector sparse)
    {
        for (var i = 0; i < sparse.Count; i++)
        {
            if (!_postings.TryGetValue(sparse.Indices[i], out var postings))
            {
                postings = new Postings();
                _postings[sparse.Indices[i]] = postings;
            }

            postings.Slots.Add(slot);
            postings.Weights.Add(sparse.Values[i]);
        }
    }

    private void RemovePostings(int slot, SparseVector sparse)
    {
        for (var i = 0; i < sparse.Count; i++)
        {
            if (!_postings.TryGetValue(sparse.Indices[i], out var postings))
            {
                continue;
            }

            var at = postings.Slots.LastIndexOf(slot);
            if (at >= 0)
            {
                var last = postings.Slots.Count - 1;
                postings.Slots[at] = postings.Slots[last];
                postings.Weights[at] = postings.Weights[last];
                postings.Slots.RemoveAt(last);
                postings.Weights.RemoveAt(last);
            }
        }
    }

    private sealed class Postings
    {
        public List<int> Slots { get; } = [];

        public List<float> Weights { get; } = [];
    }

    /// <summary>A stored pin with its filter fields normalised once.</summary>
    internal sealed class Entry
    {
        public Entry(StoredPoint point, int slot)
        {
            Point = point;
            Slot = slot;
            var pin = point.Pin;
            Brand = FilterFields.NormalizeKeyword(pin.Brand);
            Colour = FilterFields.NormalizeKeyword(pin.Colour);
            Categories = pin.CategoryPath.Select(FilterFields.NormalizeKeyword).ToArray();
            InStock = pin.InStock ? "true" : "false";
        }

        public StoredPoint Point { get; }

        public int Slot { get; }

        public string Brand { get; }

        public string Colour { get; }

        public string[] Categories { get; }

        public string InStock { get; }
    }

    /// <summary>Bounded selection of the best scores; ties go to the smaller pin id (ordinal) for stable order.</summary>
    private sealed class TopK(int k)
    {
        private readonly PriorityQueue<Entry, (float Score, string Id)> _heap = new(Worse.Instance);

        public void Offer(Entry entry, float score)
        {
            if (k <= 0)
            {
                return;
            }

            var key = (score, entry.Point.Pin.Id);
            if (_heap.Count < k)
            {
                _heap.Enqueue(entry, key);
            }
            else if (_heap.TryPeek(out _, out var worst) && Worse.Instance.Compare(worst, key) < 0)
            {
                _heap.DequeueEnqueue(entry, key);
            }
        }

        public List<(Entry Entry, float Score)> Drain()
        {
            var result = new List<(Entry, float)>(_heap.Count);
            while (_heap.TryDequeue(out var entry, out var key))
            {
                result.Add((entry, key.Score));
            }

            result.Reverse();
            return result;
        }
    }

    /// <summary>Orders the worse hit first: lower score, or equal score and larger id.</summary>
    private sealed class Worse : IComparer<(float Score, string Id)>
    {
        public static readonly Worse Instance = new();

        public int Compare((float Score, string Id) x, (float Score, string Id) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}

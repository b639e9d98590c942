using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// One tenant's pins: dense vectors in fixed-size blocks of one contiguous array each (SIMD-friendly, no huge
/// re-allocations), filter fields pre-normalised to keyword ids, and an inverted index of sparse terms.
/// Not thread-safe for writes: the store guards it (many readers or one writer).
/// </summary>
internal sealed partial class Segment
{
    private const int BlockShift = 14;
    private const int BlockSize = 1 << BlockShift;
    private const int ParallelScanThreshold = 16_384;

    /// <summary>An int8 scan costs about 4.5 ns per slot (rows four at a time): at the load client's 55,000 pins, one
    /// thread scans in ~0.25 ms, and splitting it cost more CPU per request (2.92 vs 2.49 ms) and QPS (647 vs 776).</summary>
    private const int QuantizedParallelThreshold = 131_072;

    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly List<Entry?> _entries = [];
    private readonly Stack<int> _free = new();
    private readonly Dictionary<int, Postings> _postings = [];
    private readonly IdRanks _idRanks = new();
    private readonly KeywordTable _keywords;
    private readonly TermStats _terms;
    private readonly EmbeddedStoreOptions _options;
    private QuantizedVectors? _quantized;
    private ClusterIndex? _index;
    private long _changes;
    private long _clusteredSearches;
    private float[][] _blocks = [];
    private ulong[] _live = [];

    /// <summary>The generation of the entry in each slot (0 when the slot is free), so a postings walk checks a
    /// posting against one int array instead of loading each slot's entry.</summary>
    private int[] _generations = [];
    private int _dimensions;
    private int _generation;

    /// <summary>Dense scans running now, over all segments (see <see cref="Partitions"/>).</summary>
    private static int s_activeScans;

    /// <param name="calibrated">Told each calibration of the clustered index (<see cref="Calibration"/>), on the search
    /// thread that ran it.</param>
    public Segment(int dimensions, KeywordTable keywords, TermStats terms, EmbeddedStoreOptions options, Action<IndexCalibration>? calibrated = null)
    {
        _calibrated = calibrated;
        _dimensions = dimensions;
        _keywords = keywords;
        _terms = terms;
        _options = options;
    }

    /// <summary>Whether large dense scans shortlist with int8 vectors (the segment reached the quantisation threshold).</summary>
    public bool Quantized => _quantized is not null;

    /// <summary>The installed clustered index (IVF), if any; see <see cref="InstallIndex"/>.</summary>
    public ClusterIndex? Index => _index;

    /// <summary>Upserts and deletes applied so far (an index built from a snapshot at this count is current).</summary>
    public long Changes => _changes;

    /// <summary>Dense searches answered through the clustered index (for tests and diagnostics).</summary>
    public long ClusteredSearches => Interlocked.Read(ref _clusteredSearches);

    /// <summary>Whether the segment qualifies for a clustered index: int8 copies are kept and at least
    /// <see cref="EmbeddedStoreOptions.IvfThreshold"/> pins are live.</summary>
    public bool IndexEligible => _options.IvfThreshold > 0 && _quantized is not null && Count >= _options.IvfThreshold;

    /// <summary>A segment made before the first vector arrived (by a delete) learns its width on first upsert.</summary>
    public void EnsureDimensions(int width)
    {
        if (_dimensions == 0 && _entries.Count == 0)
        {
            _dimensions = width;
        }
    }

    /// <summary>Versions of deleted pins, so an older upsert still in flight cannot bring one back.</summary>
    public Dictionary<string, long> Tombstones { get; } = new(StringComparer.Ordinal);

    public int Count => _slotById.Count;

    /// <summary>Number of slots (live or free); slot numbers are below this.</summary>
    public int Capacity => _entries.Count;

    public int Dimensions => _dimensions;

    /// <summary>Each slot's place in the ordinal order of the live ids (0 = unranked; see <see cref="IdRanks"/>).</summary>
    public int[] IdRankSnapshot => _idRanks.Current;

    private bool IsLive(int slot) => (_live[slot >> 6] & (1UL << slot)) != 0;

    public Entry? EntryAt(int slot) => _entries[slot];

    /// <summary>Filter fields by slot.</summary>
    public FilterColumns Columns { get; } = new();

    public bool TryGetSlot(string id, out int slot) => _slotById.TryGetValue(id, out slot);

    public ReadOnlySpan<float> VectorAt(int slot) =>
        _blocks[slot >> BlockShift].AsSpan((slot & (BlockSize - 1)) * _dimensions, _dimensions);

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

    public IEnumerable<Entry> Entries
    {
        get
        {
            foreach (var entry in _entries)
            {
                if (entry is not null)
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>The stored point with its dense vector (kept once, in the blocks, not on the entry).</summary>
    public StoredPoint Materialize(Entry entry) => entry.Point with { Dense = VectorAt(entry.Slot).ToArray() };

    /// <summary>Whether an upsert of this version would be applied (newer than the pin and any delete of it).</summary>
    public bool Accepts(string id, long version) =>
        !(Tombstones.TryGetValue(id, out var deletedAt) && version <= deletedAt)
        && !(_slotById.TryGetValue(id, out var slot) && _entries[slot]!.Point.Pin.Version >= version);

    /// <summary>Applies an upsert unless the store already has this or a newer version (or a newer delete).</summary>
    public bool Upsert(StoredPoint point)
    {
        var id = point.Pin.Id;
        if (!Accepts(id, point.Pin.Version))
        {
            return false;
        }

        Tombstones.Remove(id);
        if (!_slotById.TryGetValue(id, out var slot))
        {
            slot = _free.Count > 0 ? _free.Pop() : AddSlot();
            _slotById[id] = slot;
            _idRanks.Assigned(slot);
        }

        var previous = _entries[slot];
        var entry = new Entry(point with { Dense = [], Shared = new SharedPin(point.Pin) }, slot, ++_generation);
        _entries[slot] = entry;
        _generations[slot] = entry.Generation;
        Columns.Set(slot, point.Pin, _keywords);
        _live[slot >> 6] |= 1UL << slot;
        point.Dense.AsSpan().CopyTo(_blocks[slot >> BlockShift].AsSpan((slot & (BlockSize - 1)) * _dimensions, _dimensions));
        if (previous is not null)
        {
            RemovePostings(previous);
        }

        AddPostings(entry);
        _changes++;
        _index?.Assign(slot, entry.Generation, point.Dense);
        if (_quantized is not null)
        {
            _quantized.Set(slot, point.Dense);
        }
        else if (_options.QuantizeThreshold > 0 && Count >= _options.QuantizeThreshold)
        {
            _quantized = new QuantizedVectors(_dimensions);
            _quantized.EnsureSlots(_entries.Count);
            foreach (var live in Entries)
            {
                _quantized.Set(live.Slot, VectorAt(live.Slot));
            }
        }

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

            _entries[slot] = null;
            _generations[slot] = 0;
            _live[slot >> 6] &= ~(1UL << slot);
            Columns.Clear(slot);
            RemovePostings(entry);
            _index?.Remove(slot);
            _changes++;
            _slotById.Remove(id);
            _idRanks.Freed(slot);
            _free.Push(slot);
            deleted = true;
        }

        Tombstones[id] = Tombstones.TryGetValue(id, out var previous) ? Math.Max(previous, version) : version;
        return deleted;
    }

    /// <summary>
    /// The live slots that pass <paramref name="filter"/> and are not excluded; null means "every live slot"
    /// (no filter, nothing excluded). The caller disposes the selection.
    /// </summary>
    public Selection? Select(CompiledFilter? filter, IReadOnlyCollection<string>? excludedIds)
    {
        if (filter is null && (excludedIds is null || excludedIds.Count == 0))
        {
            return null;
        }

        var words = (_entries.Count + 63) >> 6;
        var bits = ArrayPool<ulong>.Shared.Rent(Math.Max(1, words));
        var span = bits.AsSpan(0, words);
        if (filter is null)
        {
            span.Fill(ulong.MaxValue);
        }
        else
        {
            filter.Evaluate(this, span);
        }

        for (var w = 0; w < words; w++)
        {
            span[w] &= _live[w];
        }

        foreach (var id in excludedIds ?? [])
        {
            if (_slotById.TryGetValue(id, out var slot))
            {
                span[slot >> 6] &= ~(1UL << slot);
            }
        }

        return new Selection(bits, words);
    }

    /// <summary>Top <paramref name="limit"/> by cosine (vectors are normalised, so a dot product) among the selection.
    /// Exact, except on a quantised segment when more than <see cref="EmbeddedStoreOptions.ExactScanLimit"/> pins are
    /// selected: then the int8 copies (through the clustered index or a scan) pick a shortlist of
    /// <see cref="EmbeddedStoreOptions.RescoreFactor"/> times the limit, and the hits are its best by their int8 estimates
    /// of the cosine, or by exact rescoring with <see cref="EmbeddedStoreOptions.FloatRescore"/>.</summary>
    public List<(Entry Entry, float Score)> DenseTop(float[] query, Selection? selection, int limit)
    {
        Interlocked.Increment(ref s_activeScans);
        try
        {
            return DenseTopCore(query, selection, limit);
        }
        finally
        {
            Interlocked.Decrement(ref s_activeScans);
        }
    }

    private List<(Entry Entry, float Score)> DenseTopCore(float[] query, Selection? selection, int limit)
    {
        if (TensorPrimitives.MaxMagnitude(query) == 0)
        {
            return ZeroQueryTop(selection, limit);
        }

        var count = selection?.Count ?? _entries.Count;
        if (_quantized is not null && count > _options.ExactScanLimit)
        {
            return _index is { } index && IndexEligible ? ClusteredTop(index, query, selection, limit) : QuantizedTop(query, selection, limit);
        }

        return ExactTop(query, selection, limit);
    }

    /// <summary>An all-zero query (a text of stop words only) scores 0 against every pin, so the answer is the first
    /// <paramref name="limit"/> selected pins by id, as the exact scan orders that tie, without reading a vector. (The
    /// quantised scan broke the tie by slot, which follows arrival order: a catalog ingested in parallel answered it
    /// differently from run to run.)</summary>
    private List<(Entry Entry, float Score)> ZeroQueryTop(Selection? selection, int limit)
    {
        var top = new TopK(limit);
        for (var slot = 0; slot < _entries.Count; slot++)
        {
            if (_entries[slot] is { } entry && (selection is null || selection.Contains(slot)))
            {
                top.Offer(entry, 0f);
            }
        }

        return top.Drain();
    }

    /// <summary>Exact top <paramref name="limit"/>: every selected vector is scored (SIMD dot products, split over
    /// the cores for large scans).</summary>
    public List<(Entry Entry, float Score)> ExactTop(float[] query, Selection? selection, int limit)
    {
        // A selection of more than half the slots is walked slot by slot (a sequential stream), scoring first and
        // testing the bitmap after: an unpredictable skip before the dot product cost more than the dot product.
        var dense = selection is null || selection.Count * 2 > _entries.Count;
        var count = dense ? _entries.Count : selection!.Count;
        var partitions = Partitions(count);
        if (partitions <= 1)
        {
            var top = new TopK(limit);
            ScanDense(query, selection, dense, 0, count, top);
            return top.Drain();
        }

        var tops = new TopK[partitions];
        Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, p =>
        {
            var top = new TopK(limit);
            ScanDense(query, selection, dense, (int)((long)count * p / partitions), (int)((long)count * (p + 1) / partitions), top);
            tops[p] = top;
        });

        var merged = new TopK(limit);
        foreach (var top in tops)
        {
            top.MoveTo(merged);
        }

        return merged.Drain();
    }

    /// <summary>
    /// Top <paramref name="limit"/> by IDF-weighted dot product of sparse vectors among the selection; only pins
    /// sharing a term with the query are candidates (as in Qdrant's inverted index). IDF uses the statistics of the
    /// whole store, as Qdrant's IDF modifier uses those of the whole collection.
    /// </summary>
    /// <remarks>A pin's score is <c>0 + w1 * v1 + w2 * v2 ...</c> summed in query-term order (w = IDF * query value,
    /// v = the pin's value), whichever path computes it, so results are the same bit for bit; ties go to the smaller
    /// pin id.</remarks>
    public List<(Entry Entry, float Score)> SparseTop(SparseVector query, Selection? selection, int limit)
    {
        var scratch = SparseScratch.For(_entries.Count);
        var top = scratch.Top;
        top.Reset(limit, _entries, CurrentIdRanks());
        var terms = scratch.TermsFor(query.Count);
        var n = 0;
        for (var q = 0; q < query.Count; q++)
        {
            if (_postings.TryGetValue(query.Indices[q], out var postings) && postings.Count > 0)
            {
                terms[n++] = (postings, TermStats.Idf(_terms.Documents, _terms.DocumentFrequency(query.Indices[q])) * query.Values[q]);
            }
        }

        if (n == 1 && !terms[0].Postings.Repeats)
        {
            // One term, each pin at most once in its postings: a pin's score is known at its posting, so it goes to
            // the top-k straight away (most are rejected by score before their liveness or filter is even tested).
            OfferOneTerm(terms[0].Postings, terms[0].Weight, selection, top);
        }
        else if (n > 0)
        {
            Accumulate(terms.AsSpan(0, n), selection, scratch, top);
        }

        Array.Clear(terms, 0, n);
        return top.Drain();
    }

    /// <summary>The id ranks for a search's tie breaks, rebuilt first when more than an eighth of the live pins (and
    /// over 256) have none.</summary>
    private int[] CurrentIdRanks()
    {
        if (_idRanks.Unranked > Math.Max(256, Count >> 3))
        {
            _idRanks.Rebuild(_entries, Count);
        }

        return _idRanks.Current;
    }

    private void OfferOneTerm(Postings postings, float weight, Selection? selection, SlotTopK top)
    {
        var slots = postings.Slots;
        var weights = postings.Weights;
        var postingGenerations = postings.Generations;
        var generations = _generations;
        var stale = postings.Stale > 0;
        var count = Math.Min(postings.Count, Math.Min(slots.Length, weights.Length));
        for (var p = 0; p < count; p++)
        {
            // The same float operations as the accumulating walk: 0 + weight * value.
            var score = 0f + (weight * weights[p]);
            if (score < top.Worst)
            {
                continue;
            }

            var slot = slots[p];
            if ((stale && generations[slot] != postingGenerations[p]) || (selection is not null && !selection.Contains(slot)))
            {
                continue;
            }

            top.Offer(slot, score);
        }
    }

    /// <summary>Term at a time, in query order: each pin's score accumulates in its slot (stamped per walk), then the
    /// touched slots go to the top-k. A postings list with no stale posting (none removed since its last compaction)
    /// skips the generation test, and without a selection the filter test is skipped.</summary>
    private void Accumulate(ReadOnlySpan<(Postings Postings, float Weight)> terms, Selection? selection, SparseScratch scratch, SlotTopK top)
    {
        var accumulators = scratch.Accumulators;
        var touched = scratch.Touched;
        var stamp = scratch.NextStamp();
        var generations = _generations;
        var count = 0;
        foreach (var (postings, weight) in terms)
        {
            var slots = postings.Slots;
            var weights = postings.Weights;
            var length = Math.Min(postings.Count, Math.Min(slots.Length, weights.Length));
            if (postings.Stale == 0 && selection is null)
            {
                for (var p = 0; p < length; p++)
                {
                    Add(accumulators, touched, ref count, stamp, slots[p], weight * weights[p]);
                }

                continue;
            }

            var postingGenerations = postings.Generations;
            for (var p = 0; p < length; p++)
            {
                var slot = slots[p];
                if (generations[slot] != postingGenerations[p] || (selection is not null && !selection.Contains(slot)))
                {
                    continue;
                }

                Add(accumulators, touched, ref count, stamp, slot, weight * weights[p]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            var slot = touched[i];
            var score = accumulators[slot].Score;
            if (score < top.Worst)
            {
                continue;
            }

            top.Offer(slot, score);
        }
    }

    /// <summary>Adds a posting's contribution to its slot's score, starting the slot at 0 (and listing it as touched)
    /// on its first posting of this walk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Accumulator[] accumulators, int[] touched, ref int count, int stamp, int slot, float contribution)
    {
        ref var accumulator = ref accumulators[slot];
        if (accumulator.Stamp != stamp)
        {
            accumulator.Stamp = stamp;
            accumulator.Score = 0f;
            touched[count++] = slot;
        }

        accumulator.Score += contribution;
    }

    /// <summary>A slot's running score and the walk it belongs to (valid when the stamp is the walk's); side by side,
    /// so a posting touches one cache line.</summary>
    private struct Accumulator
    {
        public int Stamp;
        public float Score;
    }

    /// <summary>Per-thread buffers of a postings walk: an accumulator per slot (nothing is cleared between walks), the
    /// list of slots the walk touched, the query's resolved terms and the top-k heap.</summary>
    private sealed class SparseScratch
    {
        [ThreadStatic]
        private static SparseScratch? s_current;

        private int _stamp;
        private (Postings Postings, float Weight)[] _terms = new (Postings, float)[8];

        private SparseScratch(int capacity)
        {
            Accumulators = new Accumulator[capacity];
            Touched = new int[capacity];
        }

        public Accumulator[] Accumulators { get; }

        public int[] Touched { get; }

        public SlotTopK Top { get; } = new();

        public static SparseScratch For(int capacity)
        {
            var scratch = s_current;
            if (scratch is null || scratch.Accumulators.Length < capacity)
            {
                // Room to grow, so a segment taking upserts does not reallocate on every walk.
                scratch = new SparseScratch(Math.Max(1024, capacity + (capacity >> 3)));
                s_current = scratch;
            }

            return scratch;
        }

        public (Postings Postings, float Weight)[] TermsFor(int count)
        {
            if (_terms.Length < count)
            {
                _terms = new (Postings, float)[count];
            }

            return _terms;
        }

        public int NextStamp()
        {
            if (++_stamp == int.MaxValue)
            {
                for (var i = 0; i < Accumulators.Length; i++)
                {
                    Accumulators[i].Stamp = 0;
                }

                _stamp = 1;
            }

            return _stamp;
        }
    }

    private void ScanDense(float[] query, Selection? selection, bool dense, int from, int to, TopK top)
    {
        if (dense)
        {
            for (var slot = from; slot < to; slot++)
            {
                var score = TensorPrimitives.Dot(VectorAt(slot), query);
                if (selection is null ? IsLive(slot) : selection.Contains(slot))
                {
                    top.Offer(_entries[slot]!, score);
                }
            }

            return;
        }

        var slots = selection!.Slots;
        for (var i = from; i < to; i++)
        {
            var slot = slots[i];
            top.Offer(_entries[slot]!, TensorPrimitives.Dot(VectorAt(slot), query));
        }
    }

    /// <summary>How many parts a scan of <paramref name="count"/> slots is split into: one per core that no other scan
    /// is using, so a lone search uses every core and searches that already keep the cores busy do not pay for
    /// fork and join. <paramref name="threshold"/> is the size below which a scan stays on its thread: fork and join
    /// (waking a pool thread, the join's wait) cost more than they save on small scans, and under load they take a
    /// core from another request.</summary>
    private static int Partitions(int count, int threshold = ParallelScanThreshold)
    {
        if (count < threshold)
        {
            return 1;
        }

        var free = Environment.ProcessorCount / Math.Max(1, Volatile.Read(ref s_activeScans));
        return Math.Max(1, Math.Min(free, count / (threshold / 2)));
    }

    private int AddSlot()
    {
        var slot = _entries.Count;
        _entries.Add(null);
        if ((slot >> 6) >= _live.Length)
        {
            Array.Resize(ref _live, Math.Max(16, _live.Length * 2));
        }

        if (slot >= _generations.Length)
        {
            Array.Resize(ref _generations, Math.Max(1024, _generations.Length * 2));
        }

        Columns.EnsureCapacity(slot + 1);
        var block = slot >> BlockShift;
        if (block >= _blocks.Length)
        {
            Array.Resize(ref _blocks, block + 1);
            _blocks[block] = new float[BlockSize * _dimensions];
        }

        return slot;
    }

    private void AddPostings(Entry entry)
    {
        var sparse = entry.Point.Sparse;
        if (sparse.Count == 0)
        {
            return;
        }

        _terms.AddDocument(sparse);
        for (var i = 0; i < sparse.Count; i++)
        {
            if (!_postings.TryGetValue(sparse.Indices[i], out var postings))
            {
                postings = new Postings();
                _postings[sparse.Indices[i]] = postings;
            }

            postings.Add(entry.Slot, entry.Generation, sparse.Values[i]);
        }
    }

    /// <summary>Postings are removed lazily (a posting whose generation no longer matches its slot's entry is
    /// skipped); a list is compacted once most of it is stale. Called after the entry left its slot.</summary>
    private void RemovePostings(Entry entry)
    {
        var sparse = entry.Point.Sparse;
        if (sparse.Count == 0)
        {
            return;
        }

        _terms.RemoveDocument(sparse);
        for (var i = 0; i < sparse.Count; i++)
        {
            if (_postings.TryGetValue(sparse.Indices[i], out var postings) && ++postings.Stale > postings.Count / 2)
            {
                postings.Compact(_generations);
                if (postings.Count == 0)
                {
                    _postings.Remove(sparse.Indices[i]);
                }
            }
        }
    }

    private sealed class Postings
    {
        public int[] Slots = new int[4];
        public int[] Generations = new int[4];
        public float[] Weights = new float[4];
        public int Count;
        public int Stale;

        /// <summary>Whether a slot may have two postings in a row (a sparse vector repeating a term, or a slot refilled
        /// right after its stale posting); false means every live pin appears at most once.</summary>
        public bool Repeats;

        public void Add(int slot, int generation, float weight)
        {
            if (Count > 0 && Slots[Count - 1] == slot)
            {
                Repeats = true;
            }

            if (Count == Slots.Length)
            {
                Array.Resize(ref Slots, Count * 2);
                Array.Resize(ref Generations, Count * 2);
                Array.Resize(ref Weights, Count * 2);
            }

            Slots[Count] = slot;
            Generations[Count] = generation;
            Weights[Count] = weight;
            Count++;
        }

        /// <summary>Drops postings of removed or replaced entries: a posting survives only if its slot's live
        /// generation (0 when free) is the posting's, the test the postings walk makes.</summary>
        public void Compact(int[] generations)
        {
            var kept = 0;
            Repeats = false;
            for (var i = 0; i < Count; i++)
            {
                if (generations[Slots[i]] == Generations[i])
                {
                    Repeats |= kept > 0 && Slots[kept - 1] == Slots[i];
                    Slots[kept] = Slots[i];
                    Generations[kept] = Generations[i];
                    Weights[kept] = Weights[i];
                    kept++;
                }
            }

            Count = kept;
            Stale = 0;
        }
    }

    /// <summary>A stored pin; its dense vector lives in the segment's blocks and its filter fields in <see cref="Columns"/>.</summary>
    internal sealed class Entry(StoredPoint point, int slot, int generation)
    {
        public StoredPoint Point { get; } = point;

        public int Slot { get; } = slot;

        public int Generation { get; } = generation;
    }
}

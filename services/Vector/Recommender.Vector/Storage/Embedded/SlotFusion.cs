namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// The embedded store's hybrid fusion over slot numbers: the same result as <see cref="ReciprocalRankFusion"/> over the
/// two branches (each contributes 1 / (rank + k), 0-based ranks; equal fused scores by ordinal pin id), bit for bit and
/// in the same order, without dictionaries, delegates or tuples. A per-slot mark finds a pin's place in the fused list,
/// ties compare the slots' <see cref="IdRanks"/> (id strings only when a slot is unranked), and when every fused slot
/// is ranked the order is one primitive sort of (score, rank) keys. The buffers are per thread and reused.
/// </summary>
internal static class SlotFusion
{
    [ThreadStatic]
    private static Scratch? s_scratch;

    /// <summary>Fuses both branches (each lists a pin at most once) and keeps the best <paramref name="limit"/>; every hit
    /// gets its cosine to <paramref name="denseQuery"/> (the dense branch's score, or for a pin only the sparse branch
    /// found <see cref="Segment.DenseScore"/>: the same kind of score the dense branch gives) and its sparse score (0 when
    /// the sparse branch did not find it).</summary>
    public static List<SearchHit> Fuse(
        Segment segment, List<(Segment.Entry Entry, float Score)> dense, List<(Segment.Entry Entry, float Score)> sparse,
        float[] denseQuery, int limit, bool withVectors, int k = ReciprocalRankFusion.DefaultK)
    {
        var scratch = s_scratch ??= new Scratch();
        var first = scratch.Begin(segment.Capacity, dense.Count + sparse.Count);
        var marks = scratch.Marks;
        var items = scratch.Items;
        var ranks = segment.IdRankSnapshot;
        var count = 0;
        var ranked = true;

        // No step of this search has read the branches' entries yet (scattered objects): ask for all of them first, so
        // their cache misses overlap instead of each waiting behind the last one's dependent loads.
        foreach (var (entry, _) in dense)
        {
            MemoryPrefetch.Object(entry);
        }

        foreach (var (entry, _) in sparse)
        {
            MemoryPrefetch.Object(entry);
        }

        // The dense branch first, then the sparse one, as the generic fusion walks them (the same float additions).
        for (var rank = 0; rank < dense.Count; rank++)
        {
            var (entry, score) = dense[rank];
            var slot = entry.Slot;
            var add = 1f / (rank + k);
            var at = marks[slot] - first;
            if ((uint)at < (uint)count)
            {
                // The branches never repeat a pin; if one did, its contributions add up as in the generic fusion.
                items[at].Fused += add;
                continue;
            }

            var idRank = IdRanks.Of(ranks, slot);
            ranked &= idRank != 0;
            marks[slot] = first + count;
            items[count++] = new Item(entry, idRank, add, score, 0f, true);
        }

        for (var rank = 0; rank < sparse.Count; rank++)
        {
            var (entry, score) = sparse[rank];
            var slot = entry.Slot;
            var add = 1f / (rank + k);
            var at = marks[slot] - first;
            if ((uint)at < (uint)count)
            {
                ref var item = ref items[at];
                item.Fused += add;
                item.Sparse = item.InDense ? score : item.Sparse;
                continue;
            }

            var idRank = IdRanks.Of(ranks, slot);
            ranked &= idRank != 0;
            marks[slot] = first + count;
            items[count++] = new Item(entry, idRank, add, 0f, score, false);
        }

        var order = scratch.Order;
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        if (ranked)
        {
            // Fused scores are positive and finite, so their bits order as the scores do; inverted, higher sorts first.
            // Ranks are unique, so no two keys are equal and the unstable sort is deterministic.
            var keys = scratch.Keys;
            for (var i = 0; i < count; i++)
            {
                keys[i] = ((ulong)~BitConverter.SingleToUInt32Bits(items[i].Fused) << 32) | (uint)items[i].IdRank;
            }

            keys.AsSpan(0, count).Sort(order.AsSpan(0, count));
        }
        else
        {
            order.AsSpan(0, count).Sort(new BestFirst(items));
        }

        PreparedQuery? prepared = null;
        var kept = Math.Min(limit, count);
        var result = new List<SearchHit>(kept);
        for (var i = 0; i < kept; i++)
        {
            ref var item = ref items[order[i]];
            var entry = item.Entry;
            var cosine = item.InDense ? item.Dense : segment.DenseScore(entry.Slot, denseQuery, ref prepared);
            result.Add(new SearchHit(withVectors ? segment.Materialize(entry) : entry.Point, item.Fused, cosine, item.Sparse));
        }

        // No entry stays reachable from the thread's buffers after the search.
        Array.Clear(items, 0, count);
        return result;
    }

    private record struct Item(Segment.Entry Entry, int IdRank, float Fused, float Dense, float Sparse, bool InDense);

    /// <summary>Higher fused score first, then smaller pin id (ranks when both slots have one).</summary>
    private readonly struct BestFirst(Item[] items) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            var byScore = items[b].Fused.CompareTo(items[a].Fused);
            if (byScore != 0)
            {
                return byScore;
            }

            return IdRanks.Compare(items[a].IdRank, items[a].Entry, items[b].IdRank, items[b].Entry);
        }
    }

    private sealed class Scratch
    {
        private int _next = 1;

        /// <summary>Per slot: <c>first + index</c> of its item in the search that marked it last; a value outside this
        /// search's range belongs to an earlier search (marks are never cleared, the range moves on).</summary>
        public int[] Marks { get; private set; } = [];

        public Item[] Items { get; private set; } = [];

        public ulong[] Keys { get; private set; } = [];

        public int[] Order { get; private set; } = [];

        /// <summary>Room for <paramref name="slots"/> slots and <paramref name="items"/> items; returns this search's first
        /// mark value.</summary>
        public int Begin(int slots, int items)
        {
            if (Marks.Length < slots)
            {
                // Room to grow, so a segment taking upserts does not reallocate on every search.
                Marks = new int[Math.Max(1024, slots + (slots >> 3))];
                _next = 1;
            }

            if (Items.Length < items)
            {
                var size = Math.Max(256, items);
                Items = new Item[size];
                Keys = new ulong[size];
                Order = new int[size];
            }

            if (_next > int.MaxValue - items)
            {
                Array.Clear(Marks);
                _next = 1;
            }

            var first = _next;
            _next += items;
            return first;
        }
    }
}

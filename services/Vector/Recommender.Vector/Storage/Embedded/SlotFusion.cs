using System.Numerics.Tensors;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// The embedded store's hybrid fusion over slot numbers: the same result as <see cref="ReciprocalRankFusion"/> over the
/// two branches (each contributes 1 / (rank + k), 0-based ranks; equal fused scores by ordinal pin id; the dense branch's
/// item first), bit for bit and in the same order, without dictionaries or delegates. A per-slot stamp finds a pin's
/// place in the fused list, ties compare the slots' <see cref="IdRanks"/> (id strings only when a slot is unranked), and
/// when every fused slot is ranked the order is one primitive sort of (score, rank) keys. The buffers are per thread.
/// </summary>
internal static class SlotFusion
{
    [ThreadStatic]
    private static Scratch? s_scratch;

    /// <summary>Fuses both branches (each list holds a pin at most once) and keeps the best <paramref name="limit"/>; every
    /// hit gets its exact cosine to <paramref name="denseQuery"/> (the dense branch's score, or one dot product for a pin
    /// only the sparse branch found) and its sparse score (0 when the sparse branch did not find it).</summary>
    public static List<SearchHit> Fuse(
        Segment segment, List<(Segment.Entry Entry, float Score)> dense, List<(Segment.Entry Entry, float Score)> sparse,
        float[] denseQuery, int limit, bool withVectors, int k = ReciprocalRankFusion.DefaultK)
    {
        var total = dense.Count + sparse.Count;
        var scratch = s_scratch ??= new Scratch();
        scratch.Ensure(segment.Capacity, total);
        var marks = scratch.Marks;
        var items = scratch.Items;
        var stamp = scratch.NextStamp();
        var count = 0;

        // The dense branch first, then the sparse one, as the generic fusion walks them (the same float additions).
        for (var rank = 0; rank < dense.Count; rank++)
        {
            var (entry, score) = dense[rank];
            ref var mark = ref marks[entry.Slot];
            var add = 1f / (rank + k);
            if (mark.Stamp == stamp)
            {
                // The branches never repeat a pin; if one did, its contributions add up as in the generic fusion.
                items[mark.Index].Fused += add;
                continue;
            }

            mark = new Mark(stamp, count);
            items[count++] = new Item(entry, add, score, 0f, true);
        }

        for (var rank = 0; rank < sparse.Count; rank++)
        {
            var (entry, score) = sparse[rank];
            ref var mark = ref marks[entry.Slot];
            var add = 1f / (rank + k);
            if (mark.Stamp == stamp)
            {
                ref var item = ref items[mark.Index];
                item.Fused += add;
                item.Sparse = item.InDense ? score : item.Sparse;
                continue;
            }

            mark = new Mark(stamp, count);
            items[count++] = new Item(entry, add, 0f, score, false);
        }

        var order = scratch.Order;
        var ranks = segment.IdRankSnapshot;
        if (Rank(items.AsSpan(0, count), ranks, scratch.Keys, order))
        {
            scratch.Keys.AsSpan(0, count).Sort(order.AsSpan(0, count));
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                order[i] = i;
            }

            order.AsSpan(0, count).Sort(new BestFirst(items, ranks));
        }

        var kept = Math.Min(limit, count);
        var result = new List<SearchHit>(kept);
        for (var i = 0; i < kept; i++)
        {
            ref var item = ref items[order[i]];
            var entry = item.Entry;
            var cosine = item.InDense ? item.Dense : TensorPrimitives.Dot(segment.VectorAt(entry.Slot), denseQuery);
            result.Add(new SearchHit(withVectors ? segment.Materialize(entry) : entry.Point, item.Fused, cosine, item.Sparse));
        }

        // No entry stays reachable from the thread's buffers after the search.
        Array.Clear(items, 0, count);
        return result;
    }

    /// <summary>Writes each item's sort key (fused score descending, then id rank ascending) and its index; false when a
    /// slot is unranked (its place among equal scores needs its id string).</summary>
    private static bool Rank(ReadOnlySpan<Item> items, int[] ranks, ulong[] keys, int[] order)
    {
        for (var i = 0; i < items.Length; i++)
        {
            var slot = items[i].Entry.Slot;
            var rank = (uint)slot < (uint)ranks.Length ? ranks[slot] : 0;
            if (rank == 0)
            {
                return false;
            }

            // Fused scores are positive and finite, so their bits order as the scores do; inverted, higher sorts first.
            keys[i] = ((ulong)~BitConverter.SingleToUInt32Bits(items[i].Fused) << 32) | (uint)rank;
            order[i] = i;
        }

        return true;
    }

    private record struct Mark(int Stamp, int Index);

    private record struct Item(Segment.Entry Entry, float Fused, float Dense, float Sparse, bool InDense);

    /// <summary>Higher fused score first, then smaller pin id (ranks when both slots have one).</summary>
    private readonly struct BestFirst(Item[] items, int[] ranks) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            var byScore = items[b].Fused.CompareTo(items[a].Fused);
            if (byScore != 0)
            {
                return byScore;
            }

            var slotA = items[a].Entry.Slot;
            var slotB = items[b].Entry.Slot;
            var rankA = (uint)slotA < (uint)ranks.Length ? ranks[slotA] : 0;
            var rankB = (uint)slotB < (uint)ranks.Length ? ranks[slotB] : 0;
            return rankA != 0 && rankB != 0
                ? rankA.CompareTo(rankB)
                : string.CompareOrdinal(items[a].Entry.Point.Pin.Id, items[b].Entry.Point.Pin.Id);
        }
    }

    private sealed class Scratch
    {
        private int _stamp;

        public Mark[] Marks { get; private set; } = [];

        public Item[] Items { get; private set; } = [];

        public ulong[] Keys { get; private set; } = [];

        public int[] Order { get; private set; } = [];

        public void Ensure(int slots, int items)
        {
            if (Marks.Length < slots)
            {
                // Room to grow, so a segment taking upserts does not reallocate on every search.
                Marks = new Mark[Math.Max(1024, slots + (slots >> 3))];
                _stamp = 0;
            }

            if (Items.Length < items)
            {
                var size = Math.Max(256, items);
                Items = new Item[size];
                Keys = new ulong[size];
                Order = new int[size];
            }
        }

        public int NextStamp()
        {
            if (++_stamp == int.MaxValue)
            {
                Array.Clear(Marks);
                _stamp = 1;
            }

            return _stamp;
        }
    }
}

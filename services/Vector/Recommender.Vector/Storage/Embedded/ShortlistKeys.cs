using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Candidates of a quantised scan as packed keys: the approximate score's order-preserving bits in the high half, the
/// complement of the slot in the low half. A larger key is a better candidate (higher score, then lower slot), every key
/// is distinct, and picking a shortlist is a select over ulongs, so the shortlist does not depend on the scan order or
/// on how the scan was split.
/// </summary>
internal static class ShortlistKeys
{
    public static ulong Key(float score, int slot) => ((ulong)OrderedBits(score) << 32) | (uint)~slot;

    /// <summary>The score's bits as an unsigned int that orders as the scores do (-0 just below +0, NaN outside).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint OrderedBits(float score)
    {
        var bits = BitConverter.SingleToUInt32Bits(score);

        // Negative floats order backwards as unsigned ints: flip all their bits; flip only the sign of the others.
        // Branch-free (the arithmetic shift spreads the sign bit): scores of both signs come in no predictable order.
        return bits ^ ((uint)((int)bits >> 31) | 0x8000_0000u);
    }

    public static int Slot(ulong key) => (int)~(uint)key;

    /// <summary>The score a key was made with (the inverse of <see cref="Key"/>'s bit flips).</summary>
    public static float Score(ulong key)
    {
        var ordered = (uint)(key >> 32);
        return BitConverter.UInt32BitsToSingle((ordered & 0x8000_0000u) != 0 ? ordered & 0x7FFF_FFFFu : ~ordered);
    }

    /// <summary>Moves the <paramref name="k"/> largest keys to the front of <paramref name="keys"/> (in no particular
    /// order); linear on average (quickselect). Each round puts the median of three at the end, then partitions with no
    /// data-dependent branch: every key is swapped into the boundary slot and the boundary moves by the comparison's
    /// result, so random keys cost no mispredicted branches (about three times faster than a Hoare partition here).</summary>
    public static void SelectTop(Span<ulong> keys, int k)
    {
        if (k <= 0 || k >= keys.Length)
        {
            return;
        }

        ref var first = ref MemoryMarshal.GetReference(keys);
        var lo = 0;
        var hi = keys.Length - 1;
        var target = k - 1;
        while (lo < hi)
        {
            var pivot = MedianToEnd(ref Unsafe.Add(ref first, lo), ref Unsafe.Add(ref first, lo + ((hi - lo) >> 1)), ref Unsafe.Add(ref first, hi));

            // [lo, store) holds keys above the pivot; every index stays within [lo, hi].
            var store = lo;
            for (var i = lo; i < hi; i++)
            {
                var key = Unsafe.Add(ref first, i);
                var above = key > pivot;
                Unsafe.Add(ref first, i) = Unsafe.Add(ref first, store);
                Unsafe.Add(ref first, store) = key;
                store += above ? 1 : 0;
            }

            Unsafe.Add(ref first, hi) = Unsafe.Add(ref first, store);
            Unsafe.Add(ref first, store) = pivot;
            if (store == target)
            {
                return;
            }

            if (store > target)
            {
                hi = store - 1;
            }
            else
            {
                lo = store + 1;
            }
        }
    }

    /// <summary>Orders the three keys so the median of them is in <paramref name="last"/>, and returns it.</summary>
    private static ulong MedianToEnd(ref ulong a, ref ulong b, ref ulong last)
    {
        if (a > b)
        {
            (a, b) = (b, a);
        }

        if (b > last)
        {
            (b, last) = (last, b);
        }

        if (a > b)
        {
            (a, b) = (b, a);
        }

        (b, last) = (last, b);
        return last;
    }
}

/// <summary>A growable list of shortlist keys on pooled arrays.</summary>
internal sealed class KeyBuffer(int capacity) : IDisposable
{
    private ulong[] _keys = ArrayPool<ulong>.Shared.Rent(Math.Max(16, capacity));

    public int Count { get; private set; }

    public Span<ulong> Keys => _keys.AsSpan(0, Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong key)
    {
        if (Count == _keys.Length)
        {
            Grow();
        }

        _keys[Count++] = key;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        var larger = ArrayPool<ulong>.Shared.Rent(Math.Max(16, _keys.Length * 2));
        _keys.AsSpan(0, Count).CopyTo(larger);
        ArrayPool<ulong>.Shared.Return(_keys);
        _keys = larger;
    }

    public void Clear() => Count = 0;

    /// <summary>Keeps only the <paramref name="k"/> largest keys (in no particular order).</summary>
    public void KeepTop(int k)
    {
        if (Count > k)
        {
            ShortlistKeys.SelectTop(Keys, k);
            Count = k;
        }
    }

    public void AddRange(ReadOnlySpan<ulong> keys)
    {
        foreach (var key in keys)
        {
            Add(key);
        }
    }

    public void Dispose()
    {
        if (_keys.Length > 0)
        {
            ArrayPool<ulong>.Shared.Return(_keys);
            _keys = [];
        }
    }
}

using System.Buffers;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Candidates of a quantised scan as packed keys: the approximate score's order-preserving bits in the high half, the
/// complement of the slot in the low half. A larger key is a better candidate (higher score, then lower slot), every key
/// is distinct, and picking a shortlist is a select over ulongs, so the shortlist does not depend on the scan order or
/// on how the scan was split.
/// </summary>
internal static class ShortlistKeys
{
    public static ulong Key(float score, int slot)
    {
        var bits = BitConverter.SingleToUInt32Bits(score);

        // Negative floats order backwards as unsigned ints: flip all their bits; flip only the sign of the others.
        var ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)ordered << 32) | (uint)~slot;
    }

    public static int Slot(ulong key) => (int)~(uint)key;

    /// <summary>Moves the <paramref name="k"/> largest keys to the front of <paramref name="keys"/> (in no particular
    /// order); linear on average (quickselect).</summary>
    public static void SelectTop(Span<ulong> keys, int k)
    {
        var lo = 0;
        var hi = keys.Length - 1;
        var target = k - 1;
        if (k <= 0 || k >= keys.Length)
        {
            return;
        }

        while (lo < hi)
        {
            var pivot = Median(keys[lo], keys[lo + ((hi - lo) >> 1)], keys[hi]);
            var i = lo;
            var j = hi;
            while (i <= j)
            {
                while (keys[i] > pivot)
                {
                    i++;
                }

                while (keys[j] < pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }

            // [lo, j] holds keys >= pivot, [i, hi] keys <= pivot, anything between equals it.
            if (target <= j)
            {
                hi = j;
            }
            else if (target >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    private static ulong Median(ulong a, ulong b, ulong c) =>
        a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}

/// <summary>A growable list of shortlist keys on pooled arrays.</summary>
internal sealed class KeyBuffer(int capacity) : IDisposable
{
    private ulong[] _keys = ArrayPool<ulong>.Shared.Rent(Math.Max(16, capacity));

    public int Count { get; private set; }

    public Span<ulong> Keys => _keys.AsSpan(0, Count);

    public void Add(ulong key)
    {
        if (Count == _keys.Length)
        {
            var larger = ArrayPool<ulong>.Shared.Rent(_keys.Length * 2);
            _keys.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<ulong>.Shared.Return(_keys);
            _keys = larger;
        }

        _keys[Count++] = key;
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

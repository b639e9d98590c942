using System.Buffers;
using System.Numerics;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The slots a query may return (they pass its filter): a bitmap to test membership and the list of its
/// set bits to scan. Buffers are pooled; dispose after the query.</summary>
internal sealed class Selection : IDisposable
{
    private ulong[] _bits;
    private int[] _slots;

    /// <summary>Takes ownership of <paramref name="bits"/> (rented from the shared pool).</summary>
    public Selection(ulong[] bits, int words)
    {
        _bits = bits;
        var count = 0;
        for (var w = 0; w < words; w++)
        {
            count += BitOperations.PopCount(bits[w]);
        }

        _slots = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
        var at = 0;
        for (var w = 0; w < words; w++)
        {
            var word = bits[w];
            while (word != 0)
            {
                _slots[at++] = (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }

        Count = count;
    }

    public int Count { get; }

    public int[] Slots => _slots;

    public bool Contains(int slot) => (_bits[slot >> 6] & (1UL << (slot & 63))) != 0;

    public void Dispose()
    {
        ArrayPool<ulong>.Shared.Return(_bits);
        ArrayPool<int>.Shared.Return(_slots);
        _bits = [];
        _slots = [];
    }
}

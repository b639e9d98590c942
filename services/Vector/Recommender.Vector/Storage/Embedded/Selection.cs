using System.Buffers;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The slots a query may return (they pass its filter): a list to scan and a bitmap to test membership.
/// Buffers are pooled; dispose after the query.</summary>
internal sealed class Selection : IDisposable
{
    private ulong[] _bits;
    private int[] _slots;

    public Selection(int capacity)
    {
        _bits = ArrayPool<ulong>.Shared.Rent(Math.Max(1, (capacity + 63) >> 6));
        Array.Clear(_bits, 0, (capacity + 63) >> 6);
        _slots = ArrayPool<int>.Shared.Rent(Math.Max(1, capacity));
    }

    public int Count { get; private set; }

    public int[] Slots => _slots;

    public void Add(int slot)
    {
        _bits[slot >> 6] |= 1UL << (slot & 63);
        _slots[Count++] = slot;
    }

    public void Remove(int slot)
    {
        if (!Contains(slot))
        {
            return;
        }

        _bits[slot >> 6] &= ~(1UL << (slot & 63));
        var at = Array.IndexOf(_slots, slot, 0, Count);
        _slots[at] = _slots[--Count];
    }

    public bool Contains(int slot) => (_bits[slot >> 6] & (1UL << (slot & 63))) != 0;

    public void Dispose()
    {
        ArrayPool<ulong>.Shared.Return(_bits);
        ArrayPool<int>.Shared.Return(_slots);
        _bits = [];
        _slots = [];
    }
}

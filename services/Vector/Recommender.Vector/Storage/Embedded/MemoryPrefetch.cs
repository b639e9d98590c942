using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Cache prefetch hints for scans that jump between rows (cluster lists, shortlist rescoring) or between stored objects
/// (a search's hits): asking for the row or object a few steps ahead lets its cache misses overlap the work on the
/// current one. A hint never changes a result; where SSE is missing it does nothing.
/// </summary>
internal static class MemoryPrefetch
{
    private const int CacheLine = 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Row<T>(ReadOnlySpan<T> row)
        where T : unmanaged
    {
        if (!Sse.IsSupported || row.IsEmpty)
        {
            return;
        }

        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(row));
        var bytes = row.Length * sizeof(T);
        for (var offset = 0; offset < bytes; offset += CacheLine)
        {
            Sse.Prefetch0(start + offset);
        }
    }

    /// <summary>The cache line that holds <paramref name="o"/>'s header and first fields. Only the address is computed
    /// (a moved object's stale address just fetches a useless line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Object(object? o)
    {
        if (!Sse.IsSupported || o is null)
        {
            return;
        }

        // An object's first field follows its method table pointer, which follows its header word.
        var firstField = (byte*)Unsafe.AsPointer(ref Unsafe.As<StrongBox<byte>>(o).Value);
        Sse.Prefetch0(firstField - (2 * sizeof(nint)));
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Cache prefetch hints for scans that jump between rows (cluster lists, shortlist rescoring): asking for the row a few
/// steps ahead lets its cache misses overlap the work on the current one. A hint never changes a result; where SSE is
/// missing it does nothing.
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
}

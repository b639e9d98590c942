using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The AVX2 kernels (<see cref="DotKernel.Avx2"/>): the same integers as the AVX-VNNI ones on machines
/// without AVX-VNNI (AMD before Zen 5, Intel before Alder Lake). VPMADDUBSW multiplies unsigned by signed bytes and adds
/// each pair into a saturating int16, so both are kept below saturation: the int8 kernel multiplies |q| (at most 127)
/// by v * sign(q) (at most 127 in magnitude, the int8 copies are clamped to +-127), a pair at most 32,258; the 4-bit
/// kernel multiplies the codes (at most 15) by q, a pair at most 3,810. VPMADDWD by ones then widens the pairs to int32.</summary>
internal sealed partial class QuantizedVectors
{
    /// <summary>Groups of 32 packed bytes whose 4-bit products one int16 lane may sum before it is widened: each group
    /// adds two pairs (low and high nibbles) of at most 3,810, so four groups stay at most 30,480.</summary>
    private const int NibbleGroupsPerWiden = 4;

    /// <summary>dot(q, row k) for four int8 rows of <paramref name="width"/> bytes (a multiple of 32) that start at
    /// <paramref name="r0"/> to <paramref name="r3"/>, the AVX2 counterpart of <see cref="DotUnsigned4"/>: |q| and sign(q)
    /// are loaded once for the four rows, and their lane sums share the shuffles (<see cref="Sum4"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> DotMagnitude4(ref byte m, ref sbyte s, nuint width, ref sbyte r0, ref sbyte r1, ref sbyte r2, ref sbyte r3)
    {
        var ones = Vector256.Create((short)1);
        var a0 = Vector256<int>.Zero;
        var a1 = Vector256<int>.Zero;
        var a2 = Vector256<int>.Zero;
        var a3 = Vector256<int>.Zero;
        for (nuint d = 0; d < width; d += 32)
        {
            var magnitude = Vector256.LoadUnsafe(ref m, d);
            var sign = Vector256.LoadUnsafe(ref s, d);
            a0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.LoadUnsafe(ref r0, d), sign)), ones);
            a1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.LoadUnsafe(ref r1, d), sign)), ones);
            a2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.LoadUnsafe(ref r2, d), sign)), ones);
            a3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.LoadUnsafe(ref r3, d), sign)), ones);
        }

        return Sum4(a0, a1, a2, a3);
    }

    /// <summary>scores[r] = dot(q, row r) for consecutive int8 rows of <c>q.Length</c> bytes (a multiple of 32), four at a time.</summary>
    private static void ScoreRowsAvx2(PreparedQuery query, ReadOnlySpan<sbyte> rows, Span<int> scores)
    {
        var width = query.Signed.Length;
        var magnitudes = query.Magnitudes!;
        ref var rm = ref MemoryMarshal.GetArrayDataReference(magnitudes);
        ref var rs = ref MemoryMarshal.GetArrayDataReference(query.Signed);
        ref var rr = ref MemoryMarshal.GetReference(rows);
        var count = scores.Length;
        var r = 0;
        for (; r + 4 <= count; r += 4)
        {
            var row = r * width;
            DotMagnitude4(
                ref rm,
                ref rs,
                (nuint)width,
                ref Unsafe.Add(ref rr, row),
                ref Unsafe.Add(ref rr, row + width),
                ref Unsafe.Add(ref rr, row + (2 * width)),
                ref Unsafe.Add(ref rr, row + (3 * width))).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }

        for (; r < count; r++)
        {
            scores[r] = Int8Vectors.DotAvx2(query.Signed, rows.Slice(r * width, width));
        }
    }

    /// <summary>The AVX2 counterpart of <see cref="ScoreNibbleRowsVnni"/>: sum(q[d] * code[d]) - <paramref name="bias"/>
    /// for consecutive packed 4-bit rows, four at a time. The products of up to <see cref="NibbleGroupsPerWiden"/> groups
    /// are summed in int16 lanes, then widened once. Returns how many rows it scored (whole groups of four).</summary>
    private static int ScoreNibbleRowsAvx2(ReadOnlySpan<sbyte> q, ReadOnlySpan<byte> rows, int bias, Span<int> scores)
    {
        var width = q.Length / 2;
        ref var rq = ref MemoryMarshal.GetReference(q);
        ref var rr = ref MemoryMarshal.GetReference(rows);
        var mask = Vector256.Create((byte)0xF);
        var ones = Vector256.Create((short)1);
        var count = scores.Length;
        var r = 0;
        for (; r + 4 <= count; r += 4)
        {
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            var a2 = Vector256<int>.Zero;
            var a3 = Vector256<int>.Zero;
            var row = (nuint)(r * width);
            for (nuint g = 0; g < (nuint)width;)
            {
                var s0 = Vector256<short>.Zero;
                var s1 = Vector256<short>.Zero;
                var s2 = Vector256<short>.Zero;
                var s3 = Vector256<short>.Zero;
                var end = Math.Min(g + (32 * NibbleGroupsPerWiden), (nuint)width);
                for (; g < end; g += 32)
                {
                    var low = Vector256.LoadUnsafe(ref rq, 2 * g);
                    var high = Vector256.LoadUnsafe(ref rq, (2 * g) + 32);
                    s0 += NibblePairs(Vector256.LoadUnsafe(ref rr, row + g), mask, low, high);
                    s1 += NibblePairs(Vector256.LoadUnsafe(ref rr, row + (nuint)width + g), mask, low, high);
                    s2 += NibblePairs(Vector256.LoadUnsafe(ref rr, row + (nuint)(2 * width) + g), mask, low, high);
                    s3 += NibblePairs(Vector256.LoadUnsafe(ref rr, row + (nuint)(3 * width) + g), mask, low, high);
                }

                a0 += Avx2.MultiplyAddAdjacent(s0, ones);
                a1 += Avx2.MultiplyAddAdjacent(s1, ones);
                a2 += Avx2.MultiplyAddAdjacent(s2, ones);
                a3 += Avx2.MultiplyAddAdjacent(s3, ones);
            }

            (Sum4(a0, a1, a2, a3) - Vector128.Create(bias)).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }

        return r;
    }

    /// <summary>The int16 pair sums of one group of 32 packed bytes: low nibbles by the group's first 32 query values,
    /// high nibbles by the next 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> NibblePairs(Vector256<byte> packed, Vector256<byte> mask, Vector256<sbyte> low, Vector256<sbyte> high) =>
        Avx2.MultiplyAddAdjacent(packed & mask, low) + Avx2.MultiplyAddAdjacent((packed.AsUInt16() >> 4).AsByte() & mask, high);
}

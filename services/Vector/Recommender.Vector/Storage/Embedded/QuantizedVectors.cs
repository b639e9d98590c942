using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// An int8 copy of a segment's dense vectors (scalar quantisation with one scale per vector): a quarter of the
/// memory to stream per scan, scored with integer SIMD. Used to shortlist candidates on large segments; the
/// shortlist is then rescored exactly with the float vectors, so only the shortlist is approximate.
/// The int8 values are kept twice: by vector (rows, for scans over a list of selected slots) and by dimension (columns,
/// for scans of whole slot ranges with a query that has few non-zero int8 dimensions — short queries embedded by the
/// hashing embedder have 20-40 of 256 — which then read only those columns). Both give the same integer dot product.
/// </summary>
internal sealed partial class QuantizedVectors(int dimensions)
{
    private const int BlockShift = 14;
    private const int BlockSize = 1 << BlockShift;

    /// <summary>Slots scored together per column pass: their int32 scores stay in L1.</summary>
    private const int Tile = 1024;

    /// <summary>Dimensions per 32 packed bytes of a 4-bit row: byte b of a group holds dimension b in its low nibble and
    /// dimension 32 + b in its high one, so one load and two masks give two 32-byte operands in query order.</summary>
    private const int NibbleGroup = 64;

    private sbyte[][] _blocks = [];
    private sbyte[][] _columns = [];
    private byte[][] _nibbles = [];
    private float[] _scales = [];
    private float[] _nibbleScales = [];
    private int[] _sums = [];

    /// <summary>Whether the vectors also have 4-bit codes (<see cref="ScoreNibbleRows"/>): dimensions in groups of 64.</summary>
    public bool HasNibbles { get; } = NibbleBytes(dimensions) > 0;

    /// <summary>Bytes of one packed 4-bit code of a vector of <paramref name="dimensions"/>: half of them, or 0 when they
    /// do not split into groups of 64 (no codes).</summary>
    public static int NibbleBytes(int dimensions) => dimensions % NibbleGroup == 0 ? dimensions / 2 : 0;

    /// <summary>One 4-bit scale per slot (max |v| / 7), as <see cref="Scales"/> for the int8 copies.</summary>
    public float[] NibbleScales => _nibbleScales;

    /// <summary>One scale per slot; at least as long as the highest slot set + 1.</summary>
    public float[] Scales => _scales;

    /// <summary>Makes room for slots below <paramref name="count"/> (a scan reads every slot below the segment's
    /// capacity, live or free).</summary>
    public void EnsureSlots(int count)
    {
        if (count > 0)
        {
            Grow(count - 1);
        }
    }

    public void Set(int slot, ReadOnlySpan<float> vector)
    {
        Grow(slot);
        var block = slot >> BlockShift;
        var stored = At(slot);
        _scales[slot] = Int8Vectors.Quantize(vector, stored);
        var sum = 0;
        var columns = _columns[block];
        var offset = slot & (BlockSize - 1);
        for (var d = 0; d < stored.Length; d++)
        {
            sum += stored[d];
            columns[(d << BlockShift) + offset] = stored[d];
        }

        _sums[slot] = sum;
        if (HasNibbles)
        {
            _nibbleScales[slot] = QuantizeNibbles(vector, _nibbles[block].AsSpan(offset * (dimensions / 2), dimensions / 2));
        }
    }

    /// <summary>Writes the 4-bit codes of <paramref name="vector"/>: round(v / s) + 8 with s = max|v| / 7 (codes 1-15),
    /// packed as <see cref="NibbleGroup"/> describes, and returns s (0 for a zero vector: every code 8).</summary>
    internal static float QuantizeNibbles(ReadOnlySpan<float> vector, Span<byte> destination)
    {
        var max = TensorPrimitives.MaxMagnitude(vector);
        var scale = max == 0 || float.IsNaN(max) ? 0 : MathF.Abs(max) / 7f;
        for (var g = 0; g < vector.Length; g += NibbleGroup)
        {
            for (var b = 0; b < NibbleGroup / 2; b++)
            {
                destination[(g / 2) + b] = (byte)(Nibble(vector[g + b], scale) | (Nibble(vector[g + (NibbleGroup / 2) + b], scale) << 4));
            }
        }

        return scale;
    }

    private static int Nibble(float value, float scale) => scale == 0 ? 8 : (int)Math.Clamp(MathF.Round(value / scale), -7, 7) + 8;

    private void Grow(int slot)
    {
        var block = slot >> BlockShift;
        if (block >= _blocks.Length)
        {
            // Every block up to this one (a scan reads all slots below the segment's capacity, live or not).
            var first = _blocks.Length;
            Array.Resize(ref _blocks, block + 1);
            Array.Resize(ref _columns, block + 1);
            Array.Resize(ref _nibbles, block + 1);
            for (var b = first; b <= block; b++)
            {
                _blocks[b] = new sbyte[BlockSize * dimensions];
                _columns[b] = new sbyte[BlockSize * dimensions];
                _nibbles[b] = HasNibbles ? new byte[BlockSize * dimensions / 2] : [];
            }
        }

        if (slot >= _scales.Length)
        {
            var length = Math.Max(slot + 1, Math.Max(1024, _scales.Length * 2));
            Array.Resize(ref _scales, length);
            Array.Resize(ref _nibbleScales, length);
            Array.Resize(ref _sums, length);
        }
    }

    /// <summary>The int8 dot product of the vector in <paramref name="slot"/> with a prepared query (exactly
    /// <see cref="Int8Vectors.Dot"/> of the two).</summary>
    public int Dot(int slot, PreparedQuery query) => query.Kernel switch
    {
        DotKernel.AvxVnni => DotUnsigned(query.Unsigned!, At(slot)) - (128 * _sums[slot]),
        DotKernel.Avx2 => Int8Vectors.DotAvx2(query.Signed, At(slot)),
        _ => Int8Vectors.Dot(At(slot), query.Signed),
    };

    /// <summary>The slot's int8 score against a prepared query, <see cref="Dot(int, PreparedQuery)"/> x its scale: what
    /// the shortlist keys hold after the int8 pass; times the query's scale it is the int8 estimate of the cosine.</summary>
    public float Score(int slot, PreparedQuery query) => Dot(slot, query) * _scales[slot];

    public Span<sbyte> At(int slot) => _blocks[slot >> BlockShift].AsSpan((slot & (BlockSize - 1)) * dimensions, dimensions);

    /// <summary>Whether <see cref="ScoreRange"/> is the cheaper way to score a whole slot range for this query: it reads
    /// one column per non-zero query dimension instead of every dimension of every vector. Not for an all-zero query
    /// (every pin ties): it keeps the walk order, and so the tie order, of the row scan.</summary>
    public static bool PrefersColumns(PreparedQuery query) =>
        query.NonZeroDimensions.Length > 0 && query.NonZeroDimensions.Length * 4 <= query.Signed.Length;

    /// <summary>Writes the int8 dot product of the query with each vector of slots [<paramref name="from"/>,
    /// <paramref name="to"/>) into <paramref name="scores"/> (exactly what <see cref="Dot(int, PreparedQuery)"/> gives;
    /// unused slots score whatever their stale values give), reading only the columns of the query's non-zero
    /// dimensions.</summary>
    public void ScoreRange(int from, int to, PreparedQuery query, Span<int> scores)
    {
        var dims = query.NonZeroDimensions;
        var weights = query.NonZeroWeights;
        for (var start = from; start < to;)
        {
            var block = start >> BlockShift;
            var offset = start & (BlockSize - 1);
            var n = Math.Min(Math.Min(to - start, BlockSize - offset), Tile);
            var destination = scores.Slice(start - from, n);
            destination.Clear();
            var columns = _columns[block];
            for (var k = 0; k < dims.Length; k++)
            {
                AddScaled(columns.AsSpan((dims[k] << BlockShift) + offset, n), weights[k], destination);
            }

            start += n;
        }
    }

    /// <summary>Writes the int8 dot product of the query with each vector of slots [<paramref name="from"/>,
    /// <paramref name="to"/>) into <paramref name="scores"/> (exactly what <see cref="Dot(int, PreparedQuery)"/> gives),
    /// reading the rows in order. With AVX-VNNI or AVX2 four rows are scored together, so their horizontal sums share the
    /// shuffles and the loop has no per-row call.</summary>
    public void ScoreRows(int from, int to, PreparedQuery query, Span<int> scores)
    {
        for (var start = from; start < to;)
        {
            var block = start >> BlockShift;
            var offset = start & (BlockSize - 1);
            var n = Math.Min(to - start, BlockSize - offset);
            ScoreInt8Rows(query, _blocks[block].AsSpan(offset * dimensions, n * dimensions), _sums.AsSpan(start, n), scores.Slice(start - from, n));
            start += n;
        }
    }

    /// <summary>Writes the int8 dot product of the query with the vector of each of <paramref name="slots"/> into
    /// <paramref name="scores"/> (exactly <see cref="Dot(int, PreparedQuery)"/> of each). With AVX-VNNI or AVX2 four slots' rows,
    /// scattered over the blocks, are read and scored together: their loads overlap and their horizontal sums share
    /// the shuffles.</summary>
    public void ScoreSlots(ReadOnlySpan<int> slots, PreparedQuery query, Span<int> scores)
    {
        var i = 0;
        if (query.Kernel == DotKernel.AvxVnni && dimensions % 32 == 0)
        {
            ref var ru = ref MemoryMarshal.GetArrayDataReference(query.Unsigned!);
            for (; i + 4 <= slots.Length; i += 4)
            {
                var dots = DotUnsigned4(
                    ref ru,
                    (nuint)dimensions,
                    ref MemoryMarshal.GetReference(At(slots[i])),
                    ref MemoryMarshal.GetReference(At(slots[i + 1])),
                    ref MemoryMarshal.GetReference(At(slots[i + 2])),
                    ref MemoryMarshal.GetReference(At(slots[i + 3])));
                var sums = Vector128.Create(_sums[slots[i]], _sums[slots[i + 1]], _sums[slots[i + 2]], _sums[slots[i + 3]]);
                (dots - (Vector128.Create(128) * sums)).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)i);
            }
        }
        else if (query.Kernel == DotKernel.Avx2 && dimensions % 32 == 0)
        {
            ref var rm = ref MemoryMarshal.GetArrayDataReference(query.Magnitudes!);
            ref var rs = ref MemoryMarshal.GetArrayDataReference(query.Signed);
            for (; i + 4 <= slots.Length; i += 4)
            {
                DotMagnitude4(
                    ref rm,
                    ref rs,
                    (nuint)dimensions,
                    ref MemoryMarshal.GetReference(At(slots[i])),
                    ref MemoryMarshal.GetReference(At(slots[i + 1])),
                    ref MemoryMarshal.GetReference(At(slots[i + 2])),
                    ref MemoryMarshal.GetReference(At(slots[i + 3]))).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)i);
            }
        }

        for (; i < slots.Length; i++)
        {
            scores[i] = Dot(slots[i], query);
        }
    }

    /// <summary>Writes the dot product of the int8 query with the 4-bit codes of each vector of slots
    /// [<paramref name="from"/>, <paramref name="to"/>) into <paramref name="scores"/>: sum(q[d] * (code[d] - 8)), so
    /// times <see cref="NibbleScales"/> it approximates q·v / scale(q) as the int8 scores do. Reads half the bytes of
    /// <see cref="ScoreRows"/>: a coarse first pass whose shortlist the int8 copies then rescore.</summary>
    public void ScoreNibbleRows(int from, int to, PreparedQuery query, Span<int> scores)
    {
        var width = dimensions / 2;
        for (var start = from; start < to;)
        {
            var block = start >> BlockShift;
            var offset = start & (BlockSize - 1);
            var n = Math.Min(to - start, BlockSize - offset);
            ScoreNibbleCodes(query, _nibbles[block].AsSpan(offset * width, n * width), scores.Slice(start - from, n));
            start += n;
        }
    }

    /// <summary>Writes the dot product of the int8 query with each of the packed 4-bit codes in <paramref name="rows"/>
    /// (consecutive, dimensions / 2 bytes each) into <paramref name="scores"/>: the kernel of <see cref="ScoreNibbleRows"/>,
    /// also used on the copies the clustered index keeps in its lists.</summary>
    public static void ScoreNibbleCodes(PreparedQuery query, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        var width = query.Signed.Length / 2;
        var bias = 8 * query.Sum;

        // The kernels score whole groups of four rows; the rest (and every row without one) one at a time.
        var done = query.Kernel switch
        {
            DotKernel.AvxVnni => ScoreNibbleRowsVnni(query.Signed, rows, bias, scores),
            DotKernel.Avx2 => ScoreNibbleRowsAvx2(query.Signed, rows, bias, scores),
            _ => 0,
        };
        for (var r = done; r < scores.Length; r++)
        {
            scores[r] = NibbleDot(query.Signed, rows.Slice(r * width, width)) - bias;
        }
    }

    /// <summary>Writes the int8 dot product of the query with each int8 row of <paramref name="rows"/> (consecutive,
    /// dimensions bytes each; <paramref name="sums"/> holds each row's sum) into <paramref name="scores"/>: the kernel of
    /// <see cref="ScoreRows"/>, also used on the clustered index's int8 means.</summary>
    public static void ScoreInt8Rows(PreparedQuery query, ReadOnlySpan<sbyte> rows, ReadOnlySpan<int> sums, Span<int> scores)
    {
        var width = query.Signed.Length;
        if (query.Kernel == DotKernel.AvxVnni && width % 32 == 0)
        {
            ScoreRowsVnni(query.Unsigned!, rows[..(scores.Length * width)], sums, scores);
            return;
        }

        if (query.Kernel == DotKernel.Avx2 && width % 32 == 0)
        {
            ScoreRowsAvx2(query, rows[..(scores.Length * width)], scores);
            return;
        }

        for (var r = 0; r < scores.Length; r++)
        {
            scores[r] = Int8Vectors.Dot(rows.Slice(r * width, width), query.Signed);
        }
    }

    /// <summary>sum(q[d] * code[d]) over one packed 4-bit row (the portable reference of the VNNI kernel).</summary>
    internal static int NibbleDot(ReadOnlySpan<sbyte> q, ReadOnlySpan<byte> packed)
    {
        var sum = 0;
        for (var g = 0; g < q.Length; g += NibbleGroup)
        {
            for (var b = 0; b < NibbleGroup / 2; b++)
            {
                var bits = packed[(g / 2) + b];
                sum += (q[g + b] * (bits & 0xF)) + (q[g + (NibbleGroup / 2) + b] * (bits >> 4));
            }
        }

        return sum;
    }

    /// <summary>sum(q[d] * code[d]) - <paramref name="bias"/> for consecutive packed 4-bit rows, four at a time with
    /// AVX-VNNI; returns how many rows it scored (whole groups of four).</summary>
    private static int ScoreNibbleRowsVnni(ReadOnlySpan<sbyte> q, ReadOnlySpan<byte> rows, int bias, Span<int> scores)
    {
        var width = q.Length / 2;
        ref var rq = ref MemoryMarshal.GetReference(q);
        ref var rr = ref MemoryMarshal.GetReference(rows);
        var mask = Vector256.Create((byte)0xF);
        var count = scores.Length;
        var r = 0;
        for (; r + 4 <= count; r += 4)
        {
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            var a2 = Vector256<int>.Zero;
            var a3 = Vector256<int>.Zero;
            var row = (nuint)(r * width);
            for (nuint g = 0; g < (nuint)width; g += 32)
            {
                var low = Vector256.LoadUnsafe(ref rq, 2 * g);
                var high = Vector256.LoadUnsafe(ref rq, (2 * g) + 32);
                var p0 = Vector256.LoadUnsafe(ref rr, row + g);
                var p1 = Vector256.LoadUnsafe(ref rr, row + (nuint)width + g);
                var p2 = Vector256.LoadUnsafe(ref rr, row + (nuint)(2 * width) + g);
                var p3 = Vector256.LoadUnsafe(ref rr, row + (nuint)(3 * width) + g);
                a0 = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(a0, p0 & mask, low), (p0.AsUInt16() >> 4).AsByte() & mask, high);
                a1 = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(a1, p1 & mask, low), (p1.AsUInt16() >> 4).AsByte() & mask, high);
                a2 = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(a2, p2 & mask, low), (p2.AsUInt16() >> 4).AsByte() & mask, high);
                a3 = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(a3, p3 & mask, low), (p3.AsUInt16() >> 4).AsByte() & mask, high);
            }

            (Sum4(a0, a1, a2, a3) - Vector128.Create(bias)).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }

        return r;
    }

    /// <summary>scores[r] = dot(u, row r) - 128 * sums[r] for consecutive rows of <c>u.Length</c> bytes (a multiple of 32).</summary>
    private static void ScoreRowsVnni(ReadOnlySpan<byte> u, ReadOnlySpan<sbyte> rows, ReadOnlySpan<int> sums, Span<int> scores)
    {
        var width = u.Length;
        ref var ru = ref MemoryMarshal.GetReference(u);
        ref var rr = ref MemoryMarshal.GetReference(rows);
        var count = scores.Length;
        var r = 0;
        for (; r + 4 <= count; r += 4)
        {
            var row = r * width;
            var dots = DotUnsigned4(
                ref ru,
                (nuint)width,
                ref Unsafe.Add(ref rr, row),
                ref Unsafe.Add(ref rr, row + width),
                ref Unsafe.Add(ref rr, row + (2 * width)),
                ref Unsafe.Add(ref rr, row + (3 * width)));
            var adjusted = dots - (Vector128.Create(128) * Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(sums), (nuint)r));
            adjusted.StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }

        for (; r < count; r++)
        {
            scores[r] = DotUnsigned(u, rows.Slice(r * width, width)) - (128 * sums[r]);
        }
    }

    /// <summary>dot(u, row k) for four int8 rows of <paramref name="width"/> bytes (a multiple of 32) that start at
    /// <paramref name="r0"/> to <paramref name="r3"/>: one VNNI pass over the four, their lane sums shared
    /// (<see cref="Sum4"/>). Used for consecutive rows (<see cref="ScoreRows"/>) and scattered ones (<see cref="ScoreSlots"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> DotUnsigned4(ref byte u, nuint width, ref sbyte r0, ref sbyte r1, ref sbyte r2, ref sbyte r3)
    {
        var a0 = Vector256<int>.Zero;
        var a1 = Vector256<int>.Zero;
        var a2 = Vector256<int>.Zero;
        var a3 = Vector256<int>.Zero;
        for (nuint d = 0; d < width; d += 32)
        {
            var q = Vector256.LoadUnsafe(ref u, d);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, q, Vector256.LoadUnsafe(ref r0, d));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, q, Vector256.LoadUnsafe(ref r1, d));
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, q, Vector256.LoadUnsafe(ref r2, d));
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, q, Vector256.LoadUnsafe(ref r3, d));
        }

        return Sum4(a0, a1, a2, a3);
    }

    /// <summary>accumulator[i] += column[i] * weight, int16 products (|v|, |w| &lt;= 127) widened to int32.</summary>
    internal static void AddScaled(ReadOnlySpan<sbyte> column, short weight, Span<int> accumulator)
    {
        var i = 0;
        if (Avx2.IsSupported && column.Length >= 16)
        {
            ref var rc = ref MemoryMarshal.GetReference(column);
            ref var ra = ref MemoryMarshal.GetReference(accumulator);
            var w = Vector256.Create(weight);
            for (; i + 16 <= column.Length; i += 16)
            {
                var products = Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rc, (nuint)i)), w);
                var low = Vector256.LoadUnsafe(ref ra, (nuint)i) + Avx2.ConvertToVector256Int32(products.GetLower());
                var high = Vector256.LoadUnsafe(ref ra, (nuint)(i + 8)) + Avx2.ConvertToVector256Int32(products.GetUpper());
                low.StoreUnsafe(ref ra, (nuint)i);
                high.StoreUnsafe(ref ra, (nuint)(i + 8));
            }
        }

        for (; i < column.Length; i++)
        {
            accumulator[i] += column[i] * weight;
        }
    }

    /// <summary>The lane sums of four accumulators (one per row): two rounds of pairwise adds, then the 128-bit halves.</summary>
    private static Vector128<int> Sum4(Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3)
    {
        var h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
        return h.GetLower() + h.GetUpper();
    }

    /// <summary>sum(u[i] * s[i]) with AVX-VNNI (VPDPBUSD: unsigned by signed bytes, four products per int32 lane), exact
    /// in int32 for the widths used here; scalar where VNNI is missing.</summary>
    internal static int DotUnsigned(ReadOnlySpan<byte> u, ReadOnlySpan<sbyte> s)
    {
        var i = 0;
        var sum = 0;
        if (AvxVnni.IsSupported && u.Length >= 32)
        {
            ref var ru = ref MemoryMarshal.GetReference(u);
            ref var rs = ref MemoryMarshal.GetReference(s);
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i + 64 <= u.Length; i += 64)
            {
                acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref ru, (nuint)i), Vector256.LoadUnsafe(ref rs, (nuint)i));
                acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.LoadUnsafe(ref ru, (nuint)(i + 32)), Vector256.LoadUnsafe(ref rs, (nuint)(i + 32)));
            }

            if (i + 32 <= u.Length)
            {
                acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref ru, (nuint)i), Vector256.LoadUnsafe(ref rs, (nuint)i));
                i += 32;
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < u.Length; i++)
        {
            sum += u[i] * s[i];
        }

        return sum;
    }
}

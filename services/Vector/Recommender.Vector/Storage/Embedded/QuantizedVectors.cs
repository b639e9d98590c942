using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// An int8 copy of a segment's dense vectors (scalar quantisation with one scale per vector): a quarter of the
/// memory to stream per scan, scored with integer SIMD. Used to shortlist candidates on large segments; the
/// shortlist is then rescored exactly with the float vectors, so only the shortlist is approximate.
/// </summary>
internal sealed class QuantizedVectors(int dimensions)
{
    private const int BlockShift = 14;
    private const int BlockSize = 1 << BlockShift;

    private sbyte[][] _blocks = [];
    private float[] _scales = [];

    public void Set(int slot, ReadOnlySpan<float> vector)
    {
        var block = slot >> BlockShift;
        if (block >= _blocks.Length)
        {
            Array.Resize(ref _blocks, block + 1);
            _blocks[block] = new sbyte[BlockSize * dimensions];
        }

        if (slot >= _scales.Length)
        {
            Array.Resize(ref _scales, Math.Max(slot + 1, Math.Max(1024, _scales.Length * 2)));
        }

        _scales[slot] = Quantize(vector, At(slot));
    }

    public float Scale(int slot) => _scales[slot];

    public Span<sbyte> At(int slot) => _blocks[slot >> BlockShift].AsSpan((slot & (BlockSize - 1)) * dimensions, dimensions);

    /// <summary>Writes round(v / s) with s = max|v| / 127 and returns s (0 for a zero vector).</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> destination)
    {
        var max = TensorPrimitives.MaxMagnitude(vector);
        if (max == 0 || float.IsNaN(max))
        {
            destination.Clear();
            return 0;
        }

        var scale = MathF.Abs(max) / 127f;
        for (var i = 0; i < vector.Length; i++)
        {
            destination[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>Integer dot product (exact in int32 for the widths used here).</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported && a.Length >= 32)
        {
            var acc = Vector256<int>.Zero;
            for (; i + 32 <= a.Length; i += 32)
            {
                var va = Vector256.Create(a.Slice(i, 32));
                var vb = Vector256.Create(b.Slice(i, 32));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(va.GetLower()), Avx2.ConvertToVector256Int16(vb.GetLower())));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(va.GetUpper()), Avx2.ConvertToVector256Int16(vb.GetUpper())));
            }

            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && a.Length >= 16)
        {
            var acc = Vector128<int>.Zero;
            for (; i + 16 <= a.Length; i += 16)
            {
                var (aLow, aHigh) = Vector128.Widen(Vector128.Create(a.Slice(i, 16)));
                var (bLow, bHigh) = Vector128.Widen(Vector128.Create(b.Slice(i, 16)));
                var (p0, p1) = Vector128.Widen(aLow * bLow);
                var (p2, p3) = Vector128.Widen(aHigh * bHigh);
                acc += p0 + p1 + p2 + p3;
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}

using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recommender.Embeddings;

/// <summary>
/// Dense vectors as int8 with one scale each (scalar quantisation), and their exact integer dot product: the vector
/// store's int8 shortlist and Ranking's MMR similarities both use these.
/// </summary>
public static class Int8Vectors
{
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

    /// <summary>Integer dot product, exact in int32 for components in [-127, 127] (what <see cref="Quantize"/> writes):
    /// <see cref="DotAvx2"/> where the machine has AVX2, else <see cref="DotPortable"/>.</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b) => Avx2.IsSupported ? DotAvx2(a, b) : DotPortable(a, b);

    /// <summary><see cref="Dot"/> with AVX2, 32 components a step: |a| * (b * sign(a)) by VPMADDUBSW, whose int16 pair
    /// sums stay below saturation (at most 2 x 127 x 127 = 32,258), then VPMADDWD by ones into int32; the rest one by
    /// one.</summary>
    public static int DotAvx2(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var ones = Vector256.Create((short)1);
        var acc = Vector256<int>.Zero;
        var i = 0;
        for (; i + 32 <= a.Length; i += 32)
        {
            var x = Vector256.LoadUnsafe(ref ra, (nuint)i);
            var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(x), Avx2.Sign(Vector256.LoadUnsafe(ref rb, (nuint)i), x));
            acc += Avx2.MultiplyAddAdjacent(pairs, ones);
        }

        return Vector256.Sum(acc) + Rest(a, b, i);
    }

    /// <summary><see cref="Dot"/> on any machine: int16 products (exact) widened to int32, 16 values a step where 128-bit
    /// vectors are accelerated; the rest one by one.</summary>
    public static int DotPortable(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Vector128.IsHardwareAccelerated && a.Length >= 16)
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

        return sum + Rest(a, b, i);
    }

    private static int Rest(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int from)
    {
        var sum = 0;
        for (var i = from; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}

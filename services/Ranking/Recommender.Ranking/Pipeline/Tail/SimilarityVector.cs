using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>
/// A pin's dense vector as MMR compares it: int8 components with one scale (the largest magnitude / 127), a quarter of
/// the float vector's bytes. MMR's similarities are a list's most memory-bound work (each is a pass over two vectors, and
/// a list's vectors do not stay in cache between its picks), so they are computed on these copies: an exact integer dot
/// product times the two scales. Each component is off by at most half a step, so for unit vectors of the embedders'
/// 256 dimensions the result is within about 1e-3 of the float cosine (more for short vectors), which moves a pick
/// only where two candidates' MMR values were within (1 - lambda) times that anyway.
/// A <see cref="RetrievedPin"/> keeps one per pin version, so a search does not quantize.
/// </summary>
public sealed class SimilarityVector
{
    private readonly sbyte[] _values;
    private readonly float _scale;

    private SimilarityVector(sbyte[] values, float scale)
    {
        _values = values;
        _scale = scale;
    }

    public int Dimensions => _values.Length;

    /// <summary>The int8 copy of <paramref name="vector"/> (components rounded to the nearest step and clamped to
    /// +-127, so no product pair can saturate the AVX2 kernel), or null for no vector.</summary>
    public static SimilarityVector? From(float[]? vector)
    {
        if (vector is null)
        {
            return null;
        }

        var largest = 0f;
        foreach (var x in vector)
        {
            largest = Math.Max(largest, Math.Abs(x));
        }

        var scale = largest > 0 && float.IsFinite(largest) ? largest / 127f : 0f;
        var values = new sbyte[vector.Length];
        if (scale > 0)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                values[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127f, 127f);
            }
        }

        return new SimilarityVector(values, scale);
    }

    /// <summary>The dot product of the two original vectors (their cosine for unit vectors), from the int8 copies;
    /// symmetric to the bit. Vectors of different lengths are not comparable: 0.</summary>
    public double Similarity(SimilarityVector other) =>
        other._values.Length == _values.Length ? Dot(_values, other._values) * ((double)_scale * other._scale) : 0;

    /// <summary>sum(a[i] * b[i]) exactly, for components in [-127, 127] (<see cref="DotAvx2"/> where the machine has
    /// AVX2, else <see cref="DotPortable"/>).</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b) => Avx2.IsSupported ? DotAvx2(a, b) : DotPortable(a, b);

    /// <summary><see cref="Dot"/> with AVX2: |a| * (b * sign(a)) by VPMADDUBSW (a pair at most 32,258, below int16
    /// saturation), then VPMADDWD by ones; the rest one by one.</summary>
    public static int DotAvx2(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var length = Math.Min(a.Length, b.Length);
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var ones = Vector256.Create((short)1);
        var acc = Vector256<int>.Zero;
        var i = 0;
        for (; i + 32 <= length; i += 32)
        {
            var x = Vector256.LoadUnsafe(ref ra, (nuint)i);
            var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(x), Avx2.Sign(Vector256.LoadUnsafe(ref rb, (nuint)i), x));
            acc += Avx2.MultiplyAddAdjacent(pairs, ones);
        }

        return Vector256.Sum(acc) + Rest(a, b, i, length);
    }

    /// <summary><see cref="Dot"/> on any machine: int16 products (each at most 16,129 in magnitude, exact) widened to
    /// int32, 16 components a step; the rest one by one.</summary>
    public static int DotPortable(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var length = Math.Min(a.Length, b.Length);
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector128<int>.Zero;
        var i = 0;
        for (; i + 16 <= length; i += 16)
        {
            var (xl, xh) = Vector128.Widen(Vector128.LoadUnsafe(ref ra, (nuint)i));
            var (yl, yh) = Vector128.Widen(Vector128.LoadUnsafe(ref rb, (nuint)i));
            var (p0, p1) = Vector128.Widen(xl * yl);
            var (p2, p3) = Vector128.Widen(xh * yh);
            acc += p0 + p1 + p2 + p3;
        }

        return Vector128.Sum(acc) + Rest(a, b, i, length);
    }

    private static int Rest(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int from, int length)
    {
        var sum = 0;
        for (var i = from; i < length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}

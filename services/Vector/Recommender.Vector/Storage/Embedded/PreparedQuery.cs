using System.Runtime.Intrinsics.X86;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>Which integer kernels score a <see cref="PreparedQuery"/> against the int8 rows and 4-bit codes. All give
/// exactly the same integers; they differ only in the instructions they need.</summary>
internal enum DotKernel
{
    /// <summary>The portable loops (<see cref="Int8Vectors.Dot"/>
    /// and <see cref="QuantizedVectors.NibbleDot"/>).</summary>
    Portable,

    /// <summary>AVX2 (any x64 server or laptop since about 2015): VPMADDUBSW multiplies unsigned by signed bytes into
    /// int16 pairs, VPMADDWD widens them. Exact because neither operand reaches the int16 limit (see the kernels).</summary>
    Avx2,

    /// <summary>AVX-VNNI: VPDPBUSD multiplies unsigned by signed bytes and adds four products per int32 lane in one step.</summary>
    AvxVnni,
}

/// <summary>
/// A query quantised once per scan, with what its kernel (<see cref="DotKernel"/>) needs. With AVX-VNNI it also keeps
/// q + 128 as unsigned bytes: VPDPBUSD multiplies unsigned by signed bytes, and dot(q + 128, v) - 128 * sum(v) = dot(q, v)
/// exactly (sum(v) is kept per stored vector). With AVX2 alone it keeps |q|: dot(q, v) = dot(|q|, v * sign(q)).
/// </summary>
internal sealed class PreparedQuery
{
    public PreparedQuery(ReadOnlySpan<float> query)
        : this(query, Best)
    {
    }

    /// <summary>A query for <paramref name="kernel"/>, which this machine must support (tests compare the kernels).</summary>
    public PreparedQuery(ReadOnlySpan<float> query, DotKernel kernel)
    {
        if (!IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"This machine does not support the {kernel} kernel.");
        }

        Kernel = kernel;
        Signed = new sbyte[query.Length];
        Scale = Int8Vectors.Quantize(query, Signed);
        var nonZero = 0;
        foreach (var x in Signed)
        {
            nonZero += x != 0 ? 1 : 0;
        }

        Sum = 0;
        foreach (var x in Signed)
        {
            Sum += x;
        }

        NonZeroDimensions = new int[nonZero];
        NonZeroWeights = new short[nonZero];
        for (int d = 0, k = 0; d < Signed.Length; d++)
        {
            if (Signed[d] != 0)
            {
                NonZeroDimensions[k] = d;
                NonZeroWeights[k++] = Signed[d];
            }
        }

        if (kernel == DotKernel.AvxVnni)
        {
            Unsigned = new byte[query.Length];
            for (var i = 0; i < Signed.Length; i++)
            {
                Unsigned[i] = (byte)(Signed[i] + 128);
            }
        }
        else if (kernel == DotKernel.Avx2)
        {
            Magnitudes = new byte[query.Length];
            for (var i = 0; i < Signed.Length; i++)
            {
                Magnitudes[i] = (byte)Math.Abs((int)Signed[i]);
            }
        }
    }

    /// <summary>The fastest kernel this machine supports.</summary>
    public static DotKernel Best { get; } =
        IsSupported(DotKernel.AvxVnni) ? DotKernel.AvxVnni : IsSupported(DotKernel.Avx2) ? DotKernel.Avx2 : DotKernel.Portable;

    public DotKernel Kernel { get; }

    public sbyte[] Signed { get; }

    /// <summary>The int8 query's scale: q ≈ <see cref="Signed"/> x Scale, so an int8 score dot x scale(v) x Scale
    /// estimates the cosine.</summary>
    public float Scale { get; }

    /// <summary>q + 128 (the AVX-VNNI kernel's unsigned operand); null for the other kernels.</summary>
    public byte[]? Unsigned { get; }

    /// <summary>|q| (the AVX2 kernel's unsigned operand, at most 127); null for the other kernels.</summary>
    public byte[]? Magnitudes { get; }

    /// <summary>The sum of the int8 query's values (the 4-bit codes are stored plus 8).</summary>
    public int Sum { get; }

    /// <summary>The dimensions where the int8 query is not zero, ascending, and its values there.</summary>
    public int[] NonZeroDimensions { get; }

    public short[] NonZeroWeights { get; }

    /// <summary>Whether this machine can run <paramref name="kernel"/>.</summary>
    public static bool IsSupported(DotKernel kernel) => kernel switch
    {
        DotKernel.AvxVnni => AvxVnni.IsSupported,
        DotKernel.Avx2 => System.Runtime.Intrinsics.X86.Avx2.IsSupported,
        _ => true,
    };
}

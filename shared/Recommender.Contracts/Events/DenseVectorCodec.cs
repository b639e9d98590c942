using System.Runtime.InteropServices;

namespace Recommender.Contracts;

/// <summary>Packs dense vectors as little-endian float32 bytes for events.</summary>
public static class DenseVectorCodec
{
    public static byte[] Encode(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    public static float[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"A dense vector needs a multiple of 4 bytes, got {bytes.Length}.", nameof(bytes));
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}

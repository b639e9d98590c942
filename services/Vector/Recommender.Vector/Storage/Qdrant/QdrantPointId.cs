using System.Security.Cryptography;
using System.Text;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>
/// Qdrant point ids must be unsigned integers or UUIDs; a pin is identified by (tenant, pin id). The point id is a
/// name-based UUID (RFC 4122 version 5, SHA-1) of both, so it is deterministic, needs no lookup table, and two
/// tenants' pins with the same id never collide.
/// </summary>
public static class QdrantPointId
{
    // A fixed namespace of our own (random, generated once): changing it would orphan every stored point.
    private static readonly Guid Namespace = new("3f6f2c9e-8a4b-4c1d-9b7e-5d2a1c0e4f83");

    public static string For(string tenant, string pinId) =>
        // Length-prefix the tenant so ("ab", "c") and ("a", "bc") differ.
        NameBased(Namespace, Encoding.UTF8.GetBytes($"{tenant.Length}:{tenant}{pinId}")).ToString("D");

    /// <summary>Qdrant echoes UUIDs in its own spelling; compare them in one canonical form.</summary>
    public static string Canonical(string uuid) => Guid.Parse(uuid).ToString("D");

    /// <summary>RFC 4122 §4.3 name-based UUID, version 5 (SHA-1).</summary>
    internal static Guid NameBased(Guid nameSpace, ReadOnlySpan<byte> name)
    {
        var input = new byte[16 + name.Length];
        nameSpace.TryWriteBytes(input.AsSpan(0, 16), bigEndian: true, out _);
        name.CopyTo(input.AsSpan(16));
        // SHA-1 is what RFC 4122 prescribes for version 5; it names points here, it protects nothing.
#pragma warning disable CA5350
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

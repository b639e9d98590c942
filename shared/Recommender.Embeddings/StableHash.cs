namespace Recommender.Embeddings;

/// <summary>FNV-1a over UTF-16 code units: stable across processes and runs (string.GetHashCode is not).</summary>
public static class StableHash
{
    public static uint Fnv1a(ReadOnlySpan<char> text, uint seed = 2166136261)
    {
        var hash = seed;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619;
        }

        return hash;
    }
}

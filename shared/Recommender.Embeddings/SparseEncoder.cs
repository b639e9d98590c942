namespace Recommender.Embeddings;

/// <summary>
/// Term-weight vectors for hybrid search. Term ids are stable hashes of Porter-stemmed tokens (24 bits, so unseen
/// words still get an id; "painted" and "painting" share one). Documents get BM25's saturated term frequency; queries get 1 per distinct term. The store multiplies by
/// IDF at query time (as Qdrant's IDF modifier does), so document vectors never need re-encoding as the
/// catalog grows.
/// </summary>
public static class SparseEncoder
{
    private const int IdBits = 24;
    private const float K1 = 1.2f;
    private const float B = 0.75f;
    private const float AverageLength = 12f;

    private const int MaxCachedStems = 200_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Ids = new(StringComparer.Ordinal);

    /// <summary>The term id of a token from <see cref="TextTokenizer"/>: a 24-bit hash of its Porter stem.</summary>
    public static int TermId(string token)
    {
        if (Ids.TryGetValue(token, out var id))
        {
            return id;
        }

        id = (int)(StableHash.Fnv1a(PorterStemmer.Stem(token)) & ((1u << IdBits) - 1));
        if (Ids.Count < MaxCachedStems)
        {
            Ids.TryAdd(token, id);
        }

        return id;
    }

    public static SparseVector EncodeDocument(IReadOnlyList<string> tokens)
    {
        var counts = new SortedDictionary<int, int>();
        foreach (var token in tokens)
        {
            var id = TermId(token);
            counts[id] = counts.TryGetValue(id, out var n) ? n + 1 : 1;
        }

        var norm = K1 * (1 - B + (B * tokens.Count / AverageLength));
        var indices = new int[counts.Count];
        var values = new float[counts.Count];
        var i = 0;
        foreach (var (id, tf) in counts)
        {
            indices[i] = id;
            values[i] = tf * (K1 + 1) / (tf + norm);
            i++;
        }

        return new SparseVector(indices, values);
    }

    public static SparseVector EncodeQuery(IReadOnlyList<string> tokens)
    {
        var ids = new SortedSet<int>();
        foreach (var token in tokens)
        {
            ids.Add(TermId(token));
        }

        return new SparseVector([.. ids], Enumerable.Repeat(1f, ids.Count).ToArray());
    }
}

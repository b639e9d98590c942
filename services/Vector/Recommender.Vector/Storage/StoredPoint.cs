using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage;

/// <summary>A pin with its vectors, as a store holds it. Dense vectors are L2-normalised.</summary>
public sealed record StoredPoint(PinData Pin, float[] Dense, SparseVector Sparse, string EmbedderVersion)
{
    /// <summary>The stored version as the store shares it with callers in its process (<see cref="SharedPin"/>): set by a
    /// store that keeps one instance per stored version (the embedded store, one per upsert) on the points and hits it
    /// returns; null from stores that make new objects per call (Qdrant) and on points that were not stored yet.
    /// Callers may keep per-version state on it (the pin's wire message, Ranking's form of the pin).</summary>
    public SharedPin? Shared { get; init; }
}

/// <summary>A search result: the fused score and the score of each branch that found it.</summary>
public sealed record SearchHit(StoredPoint Point, float Score, float DenseScore, float SparseScore);

public sealed record UpsertResult(int Applied, int Stale);

public sealed record CollectionStats(long Count, int Dimensions, string EmbedderVersion, string Backend);

/// <summary>A hybrid query: either branch may be empty; both see the same filter (tenant is always applied).
/// Without <paramref name="WithVectors"/> a store may leave the hits' dense vectors empty (their scores are the same).</summary>
public sealed record HybridQuery(
    string Tenant,
    float[]? Dense,
    SparseVector? Sparse,
    VectorFilter? Filter,
    int Limit,
    string? EmbedderVersion,
    bool WithVectors = true);

public sealed record RecommendQuery(
    string Tenant,
    IReadOnlyList<string> PositiveIds,
    IReadOnlyList<string> NegativeIds,
    VectorFilter? Filter,
    int Limit,
    bool WithVectors = true);

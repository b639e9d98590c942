namespace Recommender.Vector.Storage;

/// <summary>
/// Where pins and their vectors live. Two backends: the embedded store (default, in-process, persisted) and
/// Qdrant. Both must return the same results for the same data and queries.
/// Upserts are idempotent by (tenant, pin id, version): an older or equal version never overwrites.
/// </summary>
public interface IVectorStore
{
    Task<UpsertResult> UpsertAsync(IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken);

    /// <summary>Deletes pins whose stored version is older than <paramref name="version"/>; later upserts older
    /// than it are ignored.</summary>
    Task<int> DeleteAsync(string tenant, IReadOnlyList<string> pinIds, long version, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredPoint>> GetAsync(string tenant, IReadOnlyList<string> pinIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<SearchHit>> RecommendAsync(RecommendQuery query, CancellationToken cancellationToken);

    Task<CollectionStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken);
}

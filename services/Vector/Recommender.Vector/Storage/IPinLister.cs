using Recommender.Contracts;

namespace Recommender.Vector.Storage;

/// <summary>
/// A store that can page through a tenant's pins in id order (payload only). Optional beside
/// <see cref="IVectorStore"/>: a backend without it answers ListPins with FAILED_PRECONDITION.
/// </summary>
public interface IPinLister
{
    /// <summary>Up to <paramref name="limit"/> pins whose id sorts (ordinal) after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<PinData>> ListAsync(string tenant, string? afterId, int limit, CancellationToken cancellationToken);
}

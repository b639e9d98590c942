namespace Recommender.Contracts;

/// <summary>Pins removed from a tenant's catalog. The version wins over any older upsert still in flight.</summary>
public sealed record PinsDeleted(Guid BatchId, DateTimeOffset At, string Tenant, IReadOnlyList<string> PinIds, long Version);

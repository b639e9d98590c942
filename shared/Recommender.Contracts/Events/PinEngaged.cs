namespace Recommender.Contracts;

/// <summary>Kinds of engagement, weakest first.</summary>
public enum EngagementType
{
    Impression = 1,
    Click = 2,
    Save = 3,
    AddToCart = 4,
    Purchase = 5,
}

/// <summary>
/// A shopper engaged with a pin. Published by Ranking.TrackEngagement, or directly by a storefront back-end
/// to the exchange <c>Recommender.Contracts:PinEngaged</c>. The idempotency key makes redelivery harmless.
/// </summary>
public sealed record PinEngaged(
    string Tenant,
    string? UserId,
    string? SessionId,
    string PinId,
    EngagementType Kind,
    string? QueryId,
    int Position,
    DateTimeOffset Timestamp,
    string IdempotencyKey);

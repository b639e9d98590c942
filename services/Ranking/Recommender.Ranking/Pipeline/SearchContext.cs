using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Pipeline;

/// <summary>What one ranking request knows about the asker: tenant, who (user and/or session), the query's tokens and
/// parsed intent (both empty/null for related pins and the home feed).</summary>
public sealed record SearchContext(
    string Tenant,
    IReadOnlyList<string> QueryTokens,
    ShoppingIntent? Intent = null,
    string? UserId = null,
    string? SessionId = null);

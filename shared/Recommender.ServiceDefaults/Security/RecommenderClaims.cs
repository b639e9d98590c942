using System.Security.Claims;

namespace Recommender.ServiceDefaults.Security;

public static class RecommenderClaims
{
    public const string Tenant = "recommender/tenant";
    public const string KeyId = "recommender/key";
    public const string Scheme = "ApiKey";

    public static string? TenantOf(this ClaimsPrincipal user) => user.FindFirst(Tenant)?.Value;

    public static string? KeyIdOf(this ClaimsPrincipal user) => user.FindFirst(KeyId)?.Value;
}

/// <summary>Policy names for <c>[Authorize(Policy = ...)]</c> on gRPC methods.</summary>
public static class Policies
{
    /// <summary>Storefront or admin keys.</summary>
    public const string Storefront = "storefront";

    /// <summary>Admin keys: ingest, delete, train.</summary>
    public const string Admin = "admin";

    /// <summary>Service keys: the internal vector API.</summary>
    public const string Service = "service";
}

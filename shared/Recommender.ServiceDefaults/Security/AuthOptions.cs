using System.ComponentModel.DataAnnotations;

namespace Recommender.ServiceDefaults.Security;

public enum AuthMode
{
    /// <summary>Every call needs an API key from <see cref="AuthOptions.Keys"/> (the default).</summary>
    ApiKeys,

    /// <summary>No keys: every caller is an admin of <see cref="AuthOptions.DevelopmentTenant"/>. Only for a local
    /// single-user install (the embedded host binds to 127.0.0.1); logged as a warning at start.</summary>
    Development,
}

public enum ApiKeyRole
{
    /// <summary>Search, related pins, home feed, engagement: what a shop's storefront needs.</summary>
    Storefront,

    /// <summary>Everything a storefront may do plus ingest, delete and train, for its tenant.</summary>
    Admin,

    /// <summary>Service-to-service (Ranking calling the internal vector API); names the tenant per request.</summary>
    Service,
}

/// <summary>Section "Auth".</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.ApiKeys;

    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9_-]{0,62}$")]
    public string DevelopmentTenant { get; set; } = "default";

    /// <summary>The accepted keys, hashed. Create one with <c>ApiKeyHasher.NewKey()</c> / the CLI, store only the hash.</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>Requests per second allowed per key (token bucket); 0 turns rate limiting off.</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 500;

    /// <summary>Bucket size: how far a key may burst above its rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 1_000;
}

public sealed class ApiKeyEntry
{
    /// <summary>A name for logs and rate-limit partitions; never the key itself.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string Id { get; set; } = "";

    /// <summary>The tenant the key acts for ("*" only for Service keys).</summary>
    [Required]
    [RegularExpression("^(\\*|[a-z0-9][a-z0-9_-]{0,62})$")]
    public string Tenant { get; set; } = "";

    public ApiKeyRole Role { get; set; } = ApiKeyRole.Storefront;

    /// <summary>Overrides <see cref="AuthOptions.PermitsPerSecond"/> and <see cref="AuthOptions.Burst"/> for this key.</summary>
    [Range(1, 1_000_000)]
    public int? PermitsPerSecond { get; set; }

    [Range(1, 1_000_000)]
    public int? Burst { get; set; }

    /// <summary>"sha256:" + 64 hex digits of the key's SHA-256.</summary>
    [Required]
    [RegularExpression("^sha256:[0-9a-f]{64}$")]
    public string Hash { get; set; } = "";
}

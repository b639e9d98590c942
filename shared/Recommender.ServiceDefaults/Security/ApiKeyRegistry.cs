using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Recommender.ServiceDefaults.Security;

/// <summary>The configured keys, indexed by hash.</summary>
public sealed class ApiKeyRegistry
{
    private readonly FrozenDictionary<string, ApiKeyEntry> _byHash;

    public ApiKeyRegistry(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        Mode = o.Mode;
        _byHash = o.Keys.ToFrozenDictionary(k => k.Hash, StringComparer.Ordinal);
        DevelopmentKey = new ApiKeyEntry { Id = "development", Tenant = o.DevelopmentTenant, Role = ApiKeyRole.Admin, Hash = "" };
    }

    public AuthMode Mode { get; }

    public ApiKeyEntry DevelopmentKey { get; }

    public ApiKeyEntry? Find(string key) => _byHash.GetValueOrDefault(ApiKeyHasher.Hash(key));
}

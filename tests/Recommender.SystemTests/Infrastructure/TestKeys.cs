using System.Globalization;
using Recommender.ServiceDefaults.Security;

namespace Recommender.SystemTests.Infrastructure;

/// <summary>API keys minted for a test system: each tenant gets a storefront and an admin key; one service key for
/// Ranking -> Vector. Only hashes reach the services, through environment variables, as in production.</summary>
public sealed class TestKeys
{
    private readonly List<(ApiKeyEntry Entry, string Key)> _keys = [];

    public TestKeys(IEnumerable<string> tenants)
    {
        Service = Add("service", "*", ApiKeyRole.Service);
        foreach (var tenant in tenants)
        {
            Add($"{tenant}-storefront", tenant, ApiKeyRole.Storefront);
            Add($"{tenant}-admin", tenant, ApiKeyRole.Admin);
        }
    }

    public string Service { get; }

    public string Storefront(string tenant) => Find($"{tenant}-storefront");

    public string Admin(string tenant) => Find($"{tenant}-admin");

    public string Add(string id, string tenant, ApiKeyRole role, int? permitsPerSecond = null)
    {
        var key = ApiKeyHasher.NewKey();
        _keys.Add((new ApiKeyEntry
        {
            Id = id,
            Tenant = tenant,
            Role = role,
            Hash = ApiKeyHasher.Hash(key),
            PermitsPerSecond = permitsPerSecond,
            Burst = permitsPerSecond,
        }, key));
        return key;
    }

    public Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string> { ["Auth__Mode"] = "ApiKeys" };
        for (var i = 0; i < _keys.Count; i++)
        {
            var (entry, _) = _keys[i];
            var prefix = $"Auth__Keys__{i.ToString(CultureInfo.InvariantCulture)}__";
            env[prefix + "Id"] = entry.Id;
            env[prefix + "Tenant"] = entry.Tenant;
            env[prefix + "Role"] = entry.Role.ToString();
            env[prefix + "Hash"] = entry.Hash;
            if (entry.PermitsPerSecond is { } rate)
            {
                env[prefix + "PermitsPerSecond"] = rate.ToString(CultureInfo.InvariantCulture);
                env[prefix + "Burst"] = rate.ToString(CultureInfo.InvariantCulture);
            }
        }

        return env;
    }

    private string Find(string id) => _keys.Single(k => k.Entry.Id == id).Key;
}

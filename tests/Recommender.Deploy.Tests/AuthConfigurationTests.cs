using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Recommender.Deploy.Tests.Infrastructure;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Deploy.Tests;

/// <summary>The "Auth" section each deployment gives the services passes the services' own option validation
/// (AddRecommenderSecurity), and the keys that callers inside the deployment send match hashes the callee accepts.</summary>
public partial class AuthConfigurationTests
{
    private static readonly string[] Services = ["ranking", "ingestion", "vector"];

    [Fact]
    public void Compose_DemoKeys_AreDocumentedAndMatchTheHashesTheServicesAccept()
    {
        var header = File.ReadAllText(RepoPaths.Of("docker-compose.yml"));
        var docs = File.ReadAllText(RepoPaths.Of("docs/deploy.md"));
        var demo = DemoKey().Matches(header).ToDictionary(m => m.Groups["role"].Value, m => m.Groups["key"].Value);
        var compose = DeployFiles.Compose();

        Assert.Equal(["admin", "service", "storefront"], demo.Keys.Order());
        Assert.All(demo.Values, key => Assert.Contains(key, docs, StringComparison.Ordinal));
        Assert.Equal(ApiKeyRole.Admin, Accepting(compose, "ingestion", demo["admin"]).Role);
        Assert.Equal(ApiKeyRole.Admin, Accepting(compose, "ranking", demo["admin"]).Role);
        Assert.Equal(ApiKeyRole.Storefront, Accepting(compose, "ranking", demo["storefront"]).Role);
        Assert.Equal(ApiKeyRole.Service, Accepting(compose, "vector", demo["service"]).Role);
        // What the deployment itself sends: Ranking's key to Vector, the seed job's key to Ingestion.
        Assert.Equal(demo["service"], compose.Services["ranking"].Environment["Ranking__VectorApiKey"]);
        Assert.Equal(demo["admin"], compose.Services["seed"].Environment["RECOMMENDER_API_KEY"]);
    }

    [Fact]
    public void Compose_OverriddenKeyWithoutItsHash_IsNoLongerAccepted()
    {
        var minted = ApiKeyHasher.NewKey();
        var variables = new Dictionary<string, string> { ["RECOMMENDER_SERVICE_KEY"] = minted };
        var compose = ComposeFile.Load(RepoPaths.Of("docker-compose.yml"), variables);
        Assert.Null(Auth(compose, "vector").Keys.Find(k => k.Hash == ApiKeyHasher.Hash(minted)));

        variables["RECOMMENDER_SERVICE_KEY_HASH"] = ApiKeyHasher.Hash(minted);
        compose = ComposeFile.Load(RepoPaths.Of("docker-compose.yml"), variables);

        Assert.Equal(minted, compose.Services["ranking"].Environment["Ranking__VectorApiKey"]);
        Assert.Equal(ApiKeyRole.Service, Accepting(compose, "vector", minted).Role);
    }

    [Theory]
    [InlineData("ApiKeys")]
    [InlineData("Development")]
    public void Compose_AuthSection_PassesTheServicesValidation(string mode)
    {
        var compose = ComposeFile.Load(RepoPaths.Of("docker-compose.yml"), new Dictionary<string, string> { ["RECOMMENDER_AUTH_MODE"] = mode });

        foreach (var service in Services)
        {
            var auth = Auth(compose, service);
            Assert.Equal(Enum.Parse<AuthMode>(mode), auth.Mode);
            Assert.NotEmpty(auth.Keys);
        }
    }

    [Theory]
    [MemberData(nameof(ConfigConsistencyTests.Kustomizations), MemberType = typeof(ConfigConsistencyTests))]
    public void Kubernetes_AuthSection_PassesTheServicesValidation(string kustomization)
    {
        var k8s = DeployFiles.Render(kustomization);
        var containers = k8s.Containers().Where(c => (c.Workload.StartsWith("Deployment/", StringComparison.Ordinal) || c.Workload == "StatefulSet/ranking")).ToList();

        Assert.Equal(3, containers.Count);
        foreach (var c in containers)
        {
            // Values from Secrets are unknown here: a distinct well-formed hash stands in for each referenced one.
            var env = c.Environment.ToDictionary(
                e => e.Name,
                e => e.Value ?? (e.Name.EndsWith("__Hash", StringComparison.Ordinal) ? ApiKeyHasher.Hash(c.Workload + e.Name) : "from-a-secret"));
            var auth = ValidatedAuth(env);
            Assert.Equal(AuthMode.ApiKeys, auth.Mode);
            Assert.NotEmpty(auth.Keys);
            Assert.Contains(c.Environment, e => e.Name.EndsWith("__Hash", StringComparison.Ordinal) && e.Source == "valueFrom");
        }
    }

    [Fact]
    public void ValidatedAuth_MisspelledHashName_FailsLikeTheServiceWould()
    {
        var env = new Dictionary<string, string>
        {
            ["Auth__Keys__0__Id"] = "admin",
            ["Auth__Keys__0__Tenant"] = "default",
            ["Auth__Keys__0__Role"] = "Admin",
            ["Auth__Keys__0__Hsh"] = ApiKeyHasher.Hash(ApiKeyHasher.NewKey()),
        };

        var error = Assert.Throws<OptionsValidationException>(() => ValidatedAuth(env));

        Assert.Contains("Every Auth:Keys entry needs an Id, a Tenant and a Hash", error.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:Keys:0:Hash:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidatedAuth_KeyRateOfZero_NamesTheEntryAndField()
    {
        var env = new Dictionary<string, string>
        {
            ["Auth__Keys__0__Id"] = "admin",
            ["Auth__Keys__0__Tenant"] = "default",
            ["Auth__Keys__0__Role"] = "Admin",
            ["Auth__Keys__0__Hash"] = ApiKeyHasher.Hash(ApiKeyHasher.NewKey()),
            ["Auth__Keys__1__Id"] = "shop",
            ["Auth__Keys__1__Tenant"] = "default",
            ["Auth__Keys__1__Hash"] = ApiKeyHasher.Hash(ApiKeyHasher.NewKey()),
            ["Auth__Keys__1__PermitsPerSecond"] = "0",
        };

        var error = Assert.Throws<OptionsValidationException>(() => ValidatedAuth(env));

        Assert.Contains("Auth:Keys:1:PermitsPerSecond:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Auth:Keys:0:", error.Message, StringComparison.Ordinal);
    }

    private static ApiKeyEntry Accepting(ComposeFile compose, string service, string key) =>
        Auth(compose, service).Keys.Find(k => k.Hash == ApiKeyHasher.Hash(key))
        ?? throw new Xunit.Sdk.XunitException($"{service} accepts no key hashing to {ApiKeyHasher.Hash(key)}");

    private static AuthOptions Auth(ComposeFile compose, string service) => ValidatedAuth(compose.Services[service].Environment);

    /// <summary>The Auth options a service would bind from this environment, validated by the services' own rules
    /// (throws <see cref="OptionsValidationException"/> where the service would refuse to start).</summary>
    private static AuthOptions ValidatedAuth(IReadOnlyDictionary<string, string> environment)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(
            environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), (string?)kv.Value)));
        builder.AddRecommenderSecurity();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
    }

    [GeneratedRegex(@"^#\s+(?<role>admin|storefront|service)\s+(?<key>rk_[0-9a-f]{64})\b", RegexOptions.Multiline)]
    private static partial Regex DemoKey();
}

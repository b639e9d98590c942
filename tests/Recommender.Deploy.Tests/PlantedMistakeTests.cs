using Recommender.Deploy.Tests.Infrastructure;

namespace Recommender.Deploy.Tests;

/// <summary>Each test plants one mistake in a copy of the real files (in memory) and shows the checks catch it, and
/// that the same check passes on the unmodified files, so a check that cannot fail would show up here.</summary>
public class PlantedMistakeTests
{
    [Fact]
    public void ComposeEnvironment_MisspelledOption_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();
        Assert.Empty(checks.CheckComposeEnvironment(compose));

        compose.Services["ranking"].Environment["Ranking__VectorAdress"] = "http://vector:5301";

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("Ranking__VectorAdress is not an option that Recommender.Ranking.Host reads", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeEnvironment_OptionOfAnotherService_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();

        compose.Services["ingestion"].Environment["Vector__Backend"] = "Qdrant";

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("service ingestion: Vector__Backend is not an option", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeEnvironment_ValueOfWrongType_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();

        compose.Services["vector"].Environment["Messaging__RabbitMq__Port"] = "amqp";

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("Messaging__RabbitMq__Port=amqp: not a valid Int32", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeEnvironment_AddressOnHttp1Port_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();

        compose.Services["ranking"].Environment["Ranking__VectorAddress"] = "http://vector:5300";

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("must use vector's gRPC (HTTP/2) port 5301, not 5300", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void KubernetesConfigMap_UnknownOption_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var k8s = DeployFiles.Render("deploy/k8s/overlays/production");
        Assert.Empty(checks.CheckKubernetesEnvironment(k8s));

        var vectorConfig = k8s.Objects.Single(o => o.Str("kind") == "ConfigMap" && o.Map("metadata")!.Str("name")!.StartsWith("vector-config", StringComparison.Ordinal));
        vectorConfig.Map("data")!["Vector__Backnd"] = "Qdrant";

        var problems = checks.CheckKubernetesEnvironment(k8s);
        Assert.Contains(problems, p => p.Contains("Deployment/vector container vector: Vector__Backnd is not an option that Recommender.Vector.Host reads", StringComparison.Ordinal));
        Assert.Single(problems);
    }

    [Fact]
    public void KubernetesConfigMap_UnknownEnumValue_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var k8s = DeployFiles.Render("deploy/k8s/overlays/dev");

        var vectorConfig = k8s.Objects.Single(o => o.Str("kind") == "ConfigMap" && o.Map("metadata")!.Str("name")!.StartsWith("vector-config", StringComparison.Ordinal));
        vectorConfig.Map("data")!["Vector__Backend"] = "Qdrnt";

        var problem = Assert.Single(checks.CheckKubernetesEnvironment(k8s));
        Assert.Contains("Vector__Backend=Qdrnt: not one of Embedded, Qdrant", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void KubernetesProbe_OnHttp1Port_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var k8s = DeployFiles.Render("deploy/k8s/overlays/dev");
        Assert.Empty(checks.CheckKubernetesImagesAndPorts(k8s));

        var ranking = k8s.Find("StatefulSet", "ranking")!.Map("spec")!.Map("template")!.Map("spec")!.Maps("containers").Single();
        ranking.Map("readinessProbe")!.Map("grpc")!["port"] = "5100";

        var problem = Assert.Single(checks.CheckKubernetesImagesAndPorts(k8s));
        Assert.Contains("readinessProbe grpc port 5100 is not the gRPC endpoint (5101)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_ExposeNotMatchingKestrel_IsReported()
    {
        var real = DeployChecks.ForRepository();
        var path = RepoPaths.Of("deploy/docker/ranking.Dockerfile");
        var planted = Dockerfile.Parse("ranking", path, File.ReadAllText(path).Replace("EXPOSE 5101 5100", "EXPOSE 5102 5100", StringComparison.Ordinal));
        var dockerfiles = real.Dockerfiles.ToDictionary(kv => kv.Key, kv => kv.Key == "ranking" ? planted : kv.Value);

        var problems = new DeployChecks(dockerfiles).CheckDockerfiles();

        var problem = Assert.Single(problems);
        Assert.Contains("ranking.Dockerfile: EXPOSE 5100 5102 but the host listens on 5100 5101", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeEnvironment_IndexedEnumValueMisspelled_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();

        compose.Services["ranking"].Environment["Auth__Keys__1__Role"] = "Storefrnt";

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("Auth__Keys__1__Role=Storefrnt: not one of Storefront, Admin, Service (Recommender.ServiceDefaults.Security.AuthOptions.Role)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void KubernetesEnvironment_KeyEntryWithoutItsHash_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var k8s = DeployFiles.Render("deploy/k8s/overlays/production");
        Assert.Empty(checks.CheckKubernetesEnvironment(k8s));

        var ranking = k8s.Find("StatefulSet", "ranking")!.Map("spec")!.Map("template")!.Map("spec")!.Maps("containers").Single();
        ranking.List("env").RemoveAll(e => e is Dictionary<object, object?> m && m.Str("name") == "Auth__Keys__1__Hash");

        var problem = Assert.Single(checks.CheckKubernetesEnvironment(k8s));
        Assert.Contains("StatefulSet/ranking container ranking: Auth__Keys__1 sets Id, Role, Tenant but not Hash (required by ApiKeyEntry)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeEnvironment_ApiKeysModeWithoutKeys_IsReportedUnlessDevelopment()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();
        var vector = compose.Services["vector"].Environment;
        foreach (var key in vector.Keys.Where(k => k.StartsWith("Auth__Keys__", StringComparison.Ordinal)).ToList())
        {
            vector.Remove(key);
        }

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("service vector: Auth__Mode is ApiKeys but no Auth__Keys__N__* key is configured", problem, StringComparison.Ordinal);

        vector["Auth__Mode"] = "Development";
        Assert.Empty(checks.CheckComposeEnvironment(compose));
    }

    [Fact]
    public void ComposeEnvironment_RankingWithoutVectorKey_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();

        compose.Services["ranking"].Environment.Remove("Ranking__VectorApiKey");

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("service ranking: Ranking__VectorApiKey is not set while Auth__Mode is ApiKeys", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeFile_DevelopmentAuthMode_IsConsistentAndAMisspelledModeIsReported()
    {
        var checks = DeployChecks.ForRepository();
        var development = ComposeFile.Load(RepoPaths.Of("docker-compose.yml"), new Dictionary<string, string> { ["RECOMMENDER_AUTH_MODE"] = "Development" });
        var misspelled = ComposeFile.Load(RepoPaths.Of("docker-compose.yml"), new Dictionary<string, string> { ["RECOMMENDER_AUTH_MODE"] = "Dev" });

        Assert.Equal("Development", development.Services["vector"].Environment["Auth__Mode"]);
        Assert.Empty(checks.CheckComposeEnvironment(development));
        var problems = checks.CheckComposeEnvironment(misspelled);
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.Contains("Auth__Mode=Dev: not one of ApiKeys, Development", p, StringComparison.Ordinal));
    }

    [Fact]
    public void ComposeEnvironment_ToolVariableMisspelled_IsReported()
    {
        var checks = DeployChecks.ForRepository();
        var compose = DeployFiles.Compose();
        Assert.Contains("RECOMMENDER_API_KEY", compose.Services["seed"].Environment.Keys);

        compose.Services["seed"].Environment["RECOMMENDER_APIKEY"] = compose.Services["seed"].Environment["RECOMMENDER_API_KEY"];

        var problem = Assert.Single(checks.CheckComposeEnvironment(compose));
        Assert.Contains("service seed: RECOMMENDER_APIKEY is not an option that", problem, StringComparison.Ordinal);
    }
}

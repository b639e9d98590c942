using Recommender.Deploy.Tests.Infrastructure;

namespace Recommender.Deploy.Tests;

/// <summary>The repository's deployment files, loaded once: the compose file with its defaults, and each
/// kustomization rendered by `kubectl kustomize`.</summary>
public static class DeployFiles
{
    public static readonly string[] Kustomizations = ["deploy/k8s/base", "deploy/k8s/overlays/dev", "deploy/k8s/overlays/production"];

    public static ComposeFile Compose() => ComposeFile.Load(RepoPaths.Of("docker-compose.yml"));

    public static KubernetesManifests Render(string kustomization) => KubernetesManifests.Render(kustomization);

    public static string Describe(IEnumerable<string> problems) =>
        "problems:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p));
}

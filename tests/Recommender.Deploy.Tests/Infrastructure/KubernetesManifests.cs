using System.Diagnostics;

namespace Recommender.Deploy.Tests.Infrastructure;

public sealed record EnvEntry(string Name, string? Value, string Source);

public sealed record ContainerPort(string? Name, int Port);

/// <summary>One container of a workload, with the pod labels it runs under.</summary>
public sealed record KubeContainer(
    string Workload,
    string Name,
    string Image,
    IReadOnlyDictionary<string, string> PodLabels,
    IReadOnlyList<EnvEntry> Environment,
    IReadOnlyList<ContainerPort> Ports,
    IReadOnlyList<(string Probe, string Kind, string Port)> Probes,
    IReadOnlyList<string> Args);

/// <summary>The objects `kubectl kustomize` renders for one kustomization, plus typed views the checks use.</summary>
public sealed class KubernetesManifests
{
    public KubernetesManifests(string name, List<Dictionary<object, object?>> objects)
    {
        Name = name;
        Objects = objects;
    }

    public string Name { get; }

    /// <summary>The raw objects (mutable: the planted-mistake tests edit them).</summary>
    public List<Dictionary<object, object?>> Objects { get; }

    public static KubernetesManifests Render(string kustomizationDir)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", RepoPaths.Of(kustomizationDir)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("kubectl is required to render the kustomizations (it is on the dotnet machine image).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {kustomizationDir} did not finish in 60 s.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kubectl kustomize {kustomizationDir} failed: {stderr.Result}");
            }

            return new KubernetesManifests(kustomizationDir, Yaml.LoadAll(stdout.Result));
        }
    }

    public Dictionary<object, object?>? Find(string kind, string name) =>
        Objects.FirstOrDefault(o => o.Str("kind") == kind && o.Map("metadata")?.Str("name") == name);

    public IEnumerable<KubeContainer> Containers()
    {
        var configMaps = Objects.Where(o => o.Str("kind") == "ConfigMap")
            .ToDictionary(o => o.Map("metadata")!.Str("name")!, o => o.Map("data") ?? []);
        foreach (var workload in Objects)
        {
            var template = workload.Str("kind") switch
            {
                "Deployment" or "StatefulSet" or "DaemonSet" or "Job" => workload.Map("spec")?.Map("template"),
                "CronJob" => workload.Map("spec")?.Map("jobTemplate")?.Map("spec")?.Map("template"),
                _ => null,
            };
            if (template is null)
            {
                continue;
            }

            var labels = (template.Map("metadata")?.Map("labels") ?? [])
                .ToDictionary(kv => (string)kv.Key, kv => kv.Value?.ToString() ?? "");
            var workloadName = $"{workload.Str("kind")}/{workload.Map("metadata")?.Str("name")}";
            foreach (var c in template.Map("spec")?.Maps("containers") ?? [])
            {
                var env = new List<EnvEntry>();
                foreach (var from in c.Maps("envFrom"))
                {
                    var refName = from.Map("configMapRef")?.Str("name");
                    if (refName is not null && configMaps.TryGetValue(refName, out var data))
                    {
                        var prefix = from.Str("prefix") ?? "";
                        env.AddRange(data.Select(kv => new EnvEntry(prefix + kv.Key, kv.Value?.ToString(), $"ConfigMap {refName}")));
                    }
                }

                foreach (var e in c.Maps("env"))
                {
                    env.Add(e.ContainsKey("valueFrom")
                        ? new EnvEntry(e.Str("name")!, null, "valueFrom")
                        : new EnvEntry(e.Str("name")!, e.Str("value") ?? "", "env"));
                }

                var ports = c.Maps("ports")
                    .Select(p => new ContainerPort(p.Str("name"), int.Parse(p.Str("containerPort")!, System.Globalization.CultureInfo.InvariantCulture)))
                    .ToList();
                var probes = new List<(string, string, string)>();
                foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
                {
                    if (c.Map(probe) is not { } p)
                    {
                        continue;
                    }

                    foreach (var kind in new[] { "grpc", "httpGet", "tcpSocket" })
                    {
                        if (p.Map(kind)?.Str("port") is { } port)
                        {
                            probes.Add((probe, kind, port));
                        }
                    }
                }

                var args = c.List("command").Concat(c.List("args")).Select(a => a?.ToString() ?? "").ToList();
                yield return new KubeContainer(workloadName, c.Str("name")!, c.Str("image")!, labels, env, ports, probes, args);
            }
        }
    }

    /// <summary>Services: name, selector, and each port's (port, targetPort).</summary>
    public IEnumerable<(string Name, Dictionary<string, string> Selector, List<(int Port, string Target)> Ports)> Services() =>
        Objects.Where(o => o.Str("kind") == "Service").Select(s =>
        {
            var spec = s.Map("spec") ?? [];
            var selector = (spec.Map("selector") ?? []).ToDictionary(kv => (string)kv.Key, kv => kv.Value?.ToString() ?? "");
            var ports = spec.Maps("ports")
                .Select(p => (int.Parse(p.Str("port")!, System.Globalization.CultureInfo.InvariantCulture), p.Str("targetPort") ?? p.Str("port")!))
                .ToList();
            return (s.Map("metadata")!.Str("name")!, selector, ports);
        });
}

using System.Text.RegularExpressions;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>
/// Consistency of the deployment files with the services as built: every environment variable names an option the
/// image's host reads (by reflection) with a value of the right type; images name a Dockerfile; ports, probes,
/// health checks and service addresses agree with the Dockerfiles' EXPOSE and the hosts' Kestrel endpoints.
/// Each check returns human-readable problems; an empty list means consistent.
/// </summary>
public sealed partial class DeployChecks
{
    private readonly Dictionary<string, OptionCatalog?> _catalogs = new(StringComparer.Ordinal);
    private readonly Func<Dockerfile, OptionCatalog?> _catalogFactory;

    public DeployChecks(IReadOnlyDictionary<string, Dockerfile> dockerfiles, Func<Dockerfile, OptionCatalog?>? catalogFactory = null)
    {
        Dockerfiles = dockerfiles;
        _catalogFactory = catalogFactory ?? DefaultCatalog;
    }

    public IReadOnlyDictionary<string, Dockerfile> Dockerfiles { get; }

    /// <summary>Names accepted only because they are pending (see <see cref="KnownNames"/>).</summary>
    public SortedSet<string> Notes { get; } = new(StringComparer.Ordinal);

    public static DeployChecks ForRepository(Func<Dockerfile, OptionCatalog?>? catalogFactory = null) =>
        new(Directory.GetFiles(RepoPaths.Of("deploy/docker"), "*.Dockerfile")
            .Select(Dockerfile.Load)
            .ToDictionary(d => d.Name, StringComparer.Ordinal), catalogFactory);

    /// <summary>The Dockerfile an image reference (recommender/NAME[:tag], any registry) is built from.</summary>
    public Dockerfile? DockerfileForImage(string? image)
    {
        var match = image is null ? Match.Empty : RecommenderImage().Match(image);
        return match.Success ? Dockerfiles.GetValueOrDefault(match.Groups["n"].Value) : null;
    }

    public static bool IsRecommenderImage(string? image) => image is not null && RecommenderImage().IsMatch(image);

    public OptionCatalog? CatalogFor(Dockerfile dockerfile)
    {
        if (!_catalogs.TryGetValue(dockerfile.Name, out var catalog))
        {
            catalog = _catalogFactory(dockerfile);
            _catalogs[dockerfile.Name] = catalog;
        }

        return catalog;
    }

    public List<string> CheckDockerfiles()
    {
        var problems = new List<string>();
        var ignored = File.ReadAllLines(RepoPaths.Of(".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var df in Dockerfiles.Values)
        {
            var where = $"deploy/docker/{df.Name}.Dockerfile";
            if (df.PublishedProject is null)
            {
                problems.Add($"{where}: no `dotnet publish <project>.csproj` step");
                continue;
            }

            if (!File.Exists(RepoPaths.Of(df.PublishedProject)))
            {
                if (KnownNames.PendingProjects.TryGetValue(df.PublishedProject, out var reason))
                {
                    Notes.Add($"{where}: {df.PublishedProject} not in this tree yet ({reason}); image not checked");
                }
                else
                {
                    problems.Add($"{where}: publishes {df.PublishedProject}, which does not exist");
                }

                continue;
            }

            foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
            {
                if (!df.CopySources.Contains(file))
                {
                    problems.Add($"{where}: does not COPY {file} (central package management and SDK pin)");
                }
            }

            foreach (var source in df.CopySources)
            {
                var relative = source.TrimEnd('/');
                if (!File.Exists(RepoPaths.Of(relative)) && !Directory.Exists(RepoPaths.Of(relative)))
                {
                    problems.Add($"{where}: COPY {source}: not in the build context (repository root)");
                }

                if (ignored.FirstOrDefault(i => (relative + "/").StartsWith(i.TrimEnd('/') + "/", StringComparison.Ordinal)) is { } rule)
                {
                    problems.Add($"{where}: COPY {source} is excluded by .dockerignore ({rule})");
                }
            }

            var copiedDirs = df.CopySources.Where(s => s.EndsWith('/')).Select(s => RepoPaths.Of(s)).ToList();
            foreach (var project in Dockerfile.ProjectClosure(RepoPaths.Of(df.PublishedProject)))
            {
                if (!copiedDirs.Any(d => project.StartsWith(d, StringComparison.Ordinal)))
                {
                    problems.Add($"{where}: builds {Path.GetRelativePath(RepoPaths.Root, project)} but never COPYs its folder");
                }
            }

            var assembly = Dockerfile.AssemblyNameOf(RepoPaths.Of(df.PublishedProject));
            if (df.EntryAssembly != assembly)
            {
                problems.Add($"{where}: ENTRYPOINT runs {df.EntryAssembly}.dll but the project builds {assembly}.dll");
            }

            var endpoints = df.Endpoints();
            var ports = endpoints.Select(e => e.Port).ToHashSet();
            if (!ports.SetEquals(df.Exposed))
            {
                problems.Add($"{where}: EXPOSE {string.Join(' ', df.Exposed)} but the host listens on {string.Join(' ', ports.Order())} (appsettings.json Kestrel:Endpoints + ENV)");
            }

            if (endpoints.Count > 0)
            {
                if (df.HealthcheckCommand.Count == 0)
                {
                    problems.Add($"{where}: no HEALTHCHECK");
                }
                else
                {
                    CheckHealthcheck(where, df.HealthcheckCommand, endpoints, problems);
                }
            }

            if (df.User is null || df.User is "root" or "0")
            {
                problems.Add($"{where}: the final stage runs as root (add USER $APP_UID)");
            }

            CheckEnvironment(where + " ENV", df, df.Environment.Select(kv => (kv.Key, (string?)kv.Value)), _ => null, problems, deployment: false);
        }

        return problems;
    }

    public List<string> CheckComposeEnvironment(ComposeFile compose)
    {
        var problems = new List<string>();
        foreach (var service in compose.Services.Values.Where(s => IsRecommenderImage(s.Image)))
        {
            var where = $"docker-compose.yml service {service.Name}";
            if (DockerfileForImage(service.Image) is not { } df)
            {
                problems.Add($"{where}: image {service.Image} has no deploy/docker Dockerfile");
                continue;
            }

            CheckEnvironment(where, df, service.Environment.Select(kv => (kv.Key, (string?)kv.Value)), host => ComposeTarget(compose, host), problems);
            foreach (var arg in service.Command)
            {
                CheckAddress(where, arg, host => ComposeTarget(compose, host), problems);
            }
        }

        return problems;
    }

    public List<string> CheckComposeImagesAndPorts(ComposeFile compose)
    {
        var problems = new List<string>();
        foreach (var service in compose.Services.Values)
        {
            var where = $"docker-compose.yml service {service.Name}";
            foreach (var dependency in service.DependsOn.Where(d => !compose.Services.ContainsKey(d)))
            {
                problems.Add($"{where}: depends_on {dependency}, which is not a service");
            }

            if (!IsRecommenderImage(service.Image))
            {
                continue;
            }

            if (DockerfileForImage(service.Image) is not { } df)
            {
                problems.Add($"{where}: image {service.Image} has no deploy/docker Dockerfile");
                continue;
            }

            var expected = $"deploy/docker/{df.Name}.Dockerfile";
            if (service.Dockerfile != expected || service.BuildContext is not ("." or "./"))
            {
                problems.Add($"{where}: image {service.Image} must build from {expected} with context . (has {service.Dockerfile}, {service.BuildContext})");
            }

            foreach (var port in service.ContainerPorts.Where(p => !df.Exposed.Contains(p)))
            {
                problems.Add($"{where}: publishes container port {port}, which {df.Name}.Dockerfile does not EXPOSE ({string.Join(' ', df.Exposed)})");
            }

            if (service.Healthcheck.Count > 0)
            {
                CheckHealthcheck(where, service.Healthcheck.SkipWhile(t => t is "CMD" or "CMD-SHELL").ToList(), df.Endpoints(), problems);
            }
        }

        return problems;
    }

    public List<string> CheckKubernetesEnvironment(KubernetesManifests k8s)
    {
        var problems = new List<string>();
        foreach (var c in k8s.Containers().Where(c => IsRecommenderImage(c.Image)))
        {
            var where = $"{k8s.Name} {c.Workload} container {c.Name}";
            if (DockerfileForImage(c.Image) is not { } df)
            {
                problems.Add($"{where}: image {c.Image} has no deploy/docker Dockerfile");
                continue;
            }

            CheckEnvironment(where, df, c.Environment.Select(e => (e.Name, e.Value)), host => KubernetesTarget(k8s, host), problems);
            foreach (var arg in c.Args)
            {
                CheckAddress(where, arg, host => KubernetesTarget(k8s, host), problems);
            }
        }

        return problems;
    }

    public List<string> CheckKubernetesImagesAndPorts(KubernetesManifests k8s, ComposeFile? compose = null)
    {
        var problems = new List<string>();
        var containers = k8s.Containers().ToList();
        foreach (var c in containers)
        {
            var where = $"{k8s.Name} {c.Workload} container {c.Name}";
            foreach (var (probe, kind, port) in c.Probes)
            {
                if (!int.TryParse(port, out _) && c.Ports.All(p => p.Name != port))
                {
                    problems.Add($"{where}: {probe} {kind} port {port} is not a named port of the container");
                }
            }

            var composeTwin = compose?.Services.GetValueOrDefault(c.Name);
            if (!IsRecommenderImage(c.Image))
            {
                if (composeTwin?.Image is { } composeImage && composeImage != c.Image)
                {
                    problems.Add($"{where}: image {c.Image}, but docker-compose.yml runs {composeImage}");
                }

                continue;
            }

            if (DockerfileForImage(c.Image) is not { } df)
            {
                problems.Add($"{where}: image {c.Image} has no deploy/docker Dockerfile");
                continue;
            }

            var endpoints = df.Endpoints();
            var declared = c.Ports.Select(p => p.Port).ToHashSet();
            if (!declared.SetEquals(df.Exposed))
            {
                problems.Add($"{where}: containerPorts {string.Join(' ', declared.Order())} but {df.Name}.Dockerfile EXPOSEs {string.Join(' ', df.Exposed)}");
            }

            var grpc = endpoints.FirstOrDefault(e => e.IsGrpc);
            foreach (var port in c.Ports.Where(p => p.Name is "grpc" or "http"))
            {
                var endpoint = endpoints.FirstOrDefault(e => e.Port == port.Port);
                if (endpoint is null || endpoint.IsGrpc != (port.Name == "grpc"))
                {
                    problems.Add($"{where}: port {port.Name}={port.Port} is not the host's {(port.Name == "grpc" ? "gRPC (HTTP/2)" : "HTTP/1")} endpoint");
                }
            }

            foreach (var (probe, kind, port) in c.Probes)
            {
                var number = int.TryParse(port, out var n) ? n : c.Ports.FirstOrDefault(p => p.Name == port)?.Port ?? -1;
                var endpoint = endpoints.FirstOrDefault(e => e.Port == number);
                if (kind == "grpc" && endpoint is not { IsGrpc: true })
                {
                    problems.Add($"{where}: {probe} grpc port {port} is not the gRPC endpoint ({grpc?.Port})");
                }
                else if (kind == "httpGet" && endpoint is not { IsGrpc: false })
                {
                    problems.Add($"{where}: {probe} httpGet port {port} is not an HTTP/1 endpoint");
                }
            }
        }

        foreach (var (name, selector, ports) in k8s.Services())
        {
            var selected = containers.Where(c => selector.Count > 0 && selector.All(s => c.PodLabels.GetValueOrDefault(s.Key) == s.Value)).ToList();
            if (selected.Count == 0)
            {
                problems.Add($"{k8s.Name} Service/{name}: selector matches no pod");
                continue;
            }

            foreach (var (port, target) in ports)
            {
                if (!selected.Any(c => c.Ports.Any(p => p.Name == target || p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == target)))
                {
                    problems.Add($"{k8s.Name} Service/{name}: port {port} targets {target}, which no selected container declares");
                }
            }
        }

        return problems;
    }

    /// <param name="deployment">True for a deployment's environment (compose, k8s): it completes the image's own
    /// settings, so what the service needs to start (and to call its peers) can be checked on the sum.</param>
    private void CheckEnvironment(
        string where,
        Dockerfile df,
        IEnumerable<(string Key, string? Value)> environment,
        Func<string, (string Target, int? Grpc)?> resolve,
        List<string> problems,
        bool deployment = true)
    {
        var entries = new List<(string Key, string? Value)>();
        var tool = KnownNames.ToolEnvironment.GetValueOrDefault(df.Name) ?? [];
        foreach (var entry in environment)
        {
            if (tool.FirstOrDefault(t => t.Name == entry.Key) is { Reader: not null } known)
            {
                Notes.Add($"{where}: {entry.Key} is read by {known.Reader}");
            }
            else
            {
                entries.Add(entry);
            }
        }

        var catalog = CatalogFor(df);
        if (catalog is null)
        {
            if (entries.Count > 0)
            {
                problems.Add($"{where}: sets {string.Join(", ", entries.Select(e => e.Key))} but {df.Name}'s host is not built here, so its options cannot be checked");
            }

            return;
        }

        foreach (var (key, value) in entries)
        {
            var path = key.Replace("__", ":", StringComparison.Ordinal);
            if (value is not null)
            {
                CheckAddress(where, value, resolve, problems);
            }

            if (KnownNames.FrameworkReader(path) is not null)
            {
                continue;
            }

            if (catalog.Find(path) is { } option)
            {
                if (!string.IsNullOrEmpty(value) && OptionCatalog.ConversionError(option, value) is { } error)
                {
                    problems.Add($"{where}: {key}={value}: {error} ({option.Owner}.{option.Path[(option.Path.LastIndexOf(':') + 1)..]})");
                }

                continue;
            }

            var pending = KnownNames.PendingOptions.FirstOrDefault(p => p.Key.Equals(path, StringComparison.OrdinalIgnoreCase));
            if (pending is not null && !catalog.Binds(pending.UntilBound))
            {
                Notes.Add($"{key}: pending ({pending.Reason}; accepted until {pending.UntilBound} is bound)");
                continue;
            }

            problems.Add($"{where}: {key} is not an option that {catalog.Name} reads (sections: {string.Join(", ", catalog.Sections)})");
        }

        // What the service will see: the image's settings under the deployment's environment. A value from a Secret
        // or another ConfigMap key (valueFrom) is present but unknown here (null).
        var effective = deployment ? df.Settings() : new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in entries)
        {
            effective[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        CheckCollectionElements(where, catalog, effective, problems);

        // A tool image (the CLI) serves nothing: it may link the services' options but never authenticates callers.
        if (deployment && !KnownNames.ToolEnvironment.ContainsKey(df.Name))
        {
            CheckAuthentication(where, catalog, effective, problems);
        }
    }

    /// <summary>Every element of a bound list (Auth__Keys__0__*, Auth__Keys__1__*, ...) sets the members its type
    /// requires; a missing one fails the service's option validation at start.</summary>
    private static void CheckCollectionElements(string where, OptionCatalog catalog, Dictionary<string, string?> settings, List<string> problems)
    {
        var elements = settings.Keys
            .Select(k => catalog.ElementOf(k))
            .OfType<(string Element, string Member, OptionCollection Collection)>()
            .GroupBy(e => e.Element, StringComparer.OrdinalIgnoreCase);
        foreach (var element in elements)
        {
            var collection = element.First().Collection;
            var set = element.Select(e => e.Member).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var missing = collection.RequiredMembers.Where(m => !set.Contains(m)).ToList();
            if (missing.Count > 0)
            {
                var name = element.Key.Replace(":", "__", StringComparison.Ordinal);
                problems.Add($"{where}: {name} sets {string.Join(", ", set.Order(StringComparer.Ordinal))} but not {string.Join(", ", missing)} (required by {collection.ElementType.Name})");
            }
        }
    }

    /// <summary>A service that authenticates with API keys (Auth:Mode ApiKeys, the default) refuses to start without
    /// keys, and the options in <see cref="KnownNames.RequiredWithApiKeys"/> must then be set.</summary>
    private static void CheckAuthentication(string where, OptionCatalog catalog, Dictionary<string, string?> settings, List<string> problems)
    {
        if (!catalog.Binds(AuthKeys))
        {
            return;
        }

        AuthMode mode;
        if (!settings.TryGetValue("Auth:Mode", out var value))
        {
            mode = new AuthOptions().Mode;
        }
        else if (value is null || !Enum.TryParse(value, ignoreCase: true, out mode))
        {
            return; // from a secret (unknown here), or already reported as not a valid AuthMode
        }

        if (mode != AuthMode.ApiKeys)
        {
            return;
        }

        if (!settings.Keys.Any(k => catalog.ElementOf(k) is { } e && e.Collection.Path.Equals(AuthKeys, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"{where}: Auth__Mode is {mode}{(value is null ? " (the default)" : "")} but no Auth__Keys__N__* key is configured, so the service refuses to start");
        }

        foreach (var (key, reason) in KnownNames.RequiredWithApiKeys)
        {
            if (catalog.Find(key) is not null && settings.TryGetValue(key, out var v) is var found && (!found || v == ""))
            {
                problems.Add($"{where}: {key.Replace(":", "__", StringComparison.Ordinal)} is not set while Auth__Mode is ApiKeys: {reason}");
            }
        }
    }

    /// <summary>A URL to a service of the same deployment must name a real service and, for our services, its gRPC port
    /// (every internal call is a gRPC client).</summary>
    private static void CheckAddress(string where, string value, Func<string, (string Target, int? Grpc)?> resolve, List<string> problems)
    {
        var match = Address().Match(value);
        if (!match.Success || match.Groups["host"].Value.Contains('.', StringComparison.Ordinal) || match.Groups["host"].Value == "localhost")
        {
            return;
        }

        var host = match.Groups["host"].Value;
        var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (resolve(host) is not { } target)
        {
            problems.Add($"{where}: {value} names host {host}, which is not a service of this deployment");
        }
        else if (target.Grpc is { } grpc && grpc != port)
        {
            problems.Add($"{where}: {value} must use {host}'s gRPC (HTTP/2) port {grpc}, not {port}");
        }
    }

    private static void CheckHealthcheck(string where, IReadOnlyList<string> command, IReadOnlyList<KestrelEndpoint> endpoints, List<string> problems)
    {
        if (command.Count < 2 || command[0] != "healthcheck")
        {
            return;
        }

        var port = int.TryParse(command[1], out var p) ? p : -1;
        if (!endpoints.Any(e => e.Port == port && !e.IsGrpc))
        {
            problems.Add($"{where}: health check probes port {command[1]}, which is not the host's HTTP/1 endpoint ({string.Join(' ', endpoints.Where(e => !e.IsGrpc).Select(e => e.Port))})");
        }
    }

    private (string Target, int? Grpc)? ComposeTarget(ComposeFile compose, string host)
    {
        if (!compose.Services.TryGetValue(host, out var service))
        {
            return null;
        }

        var df = DockerfileForImage(service.Image);
        return (host, df?.Endpoints().FirstOrDefault(e => e.IsGrpc)?.Port);
    }

    /// <summary>For a Service of ours, the Service port that reaches the pods' gRPC endpoint.</summary>
    private (string Target, int? Grpc)? KubernetesTarget(KubernetesManifests k8s, string host)
    {
        var service = k8s.Services().FirstOrDefault(s => s.Name == host);
        if (service.Name is null)
        {
            return null;
        }

        foreach (var c in k8s.Containers().Where(c => service.Selector.Count > 0 && service.Selector.All(s => c.PodLabels.GetValueOrDefault(s.Key) == s.Value)))
        {
            if (DockerfileForImage(c.Image)?.Endpoints().FirstOrDefault(e => e.IsGrpc) is not { } grpc)
            {
                continue;
            }

            foreach (var (port, target) in service.Ports)
            {
                var containerPort = c.Ports.FirstOrDefault(p => p.Name == target)?.Port ?? (int.TryParse(target, out var n) ? n : -1);
                if (containerPort == grpc.Port)
                {
                    return (host, port);
                }
            }

            return (host, -1);
        }

        return (host, null);
    }

    private static OptionCatalog? DefaultCatalog(Dockerfile df)
    {
        if (df.EntryAssembly is null || df.PublishedProject is null || !File.Exists(RepoPaths.Of(df.PublishedProject)))
        {
            return null;
        }

        return OptionCatalog.ForHost(df.EntryAssembly);
    }

    private const string AuthKeys = AuthOptions.Section + ":" + nameof(AuthOptions.Keys);

    [GeneratedRegex(@"^(?:.+/)?recommender/(?<n>[a-z0-9-]+)(?::[^/]+)?$")]
    private static partial Regex RecommenderImage();

    [GeneratedRegex(@"^https?://(?<host>[A-Za-z0-9.-]+):(?<port>\d+)")]
    private static partial Regex Address();
}

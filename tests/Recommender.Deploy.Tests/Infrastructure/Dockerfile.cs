using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>A Kestrel endpoint of a host: its name in appsettings.json, port and protocol.</summary>
public sealed record KestrelEndpoint(string Name, int Port, string Protocols)
{
    public bool IsGrpc => Protocols.Equals("Http2", StringComparison.OrdinalIgnoreCase);
}

/// <summary>What the deploy checks need from one of deploy/docker/*.Dockerfile.</summary>
public sealed partial class Dockerfile
{
    public required string Name { get; init; }

    public required string Path { get; init; }

    /// <summary>Source paths of COPY instructions that read the build context (not --from a stage).</summary>
    public List<string> CopySources { get; } = [];

    /// <summary>ENV of the final stage.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public SortedSet<int> Exposed { get; } = [];

    public List<string> Entrypoint { get; } = [];

    public List<string> HealthcheckCommand { get; } = [];

    public string? User { get; private set; }

    /// <summary>The csproj that `dotnet publish` builds (repo-relative).</summary>
    public string? PublishedProject { get; private set; }

    /// <summary>The dll the ENTRYPOINT runs, without ".dll".</summary>
    public string? EntryAssembly =>
        Entrypoint.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } dll ? dll[..^4] : null;

    public static Dockerfile Load(string path) => Parse(System.IO.Path.GetFileName(path).Replace(".Dockerfile", "", StringComparison.Ordinal), path, File.ReadAllText(path));

    public static Dockerfile Parse(string name, string path, string text)
    {
        var file = new Dockerfile { Name = name, Path = path };
        foreach (var line in LogicalLines(text))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var instruction = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var rest = space < 0 ? "" : line[(space + 1)..].Trim();
            switch (instruction)
            {
                case "FROM":
                    file.Environment.Clear();
                    file.Exposed.Clear();
                    file.Entrypoint.Clear();
                    file.HealthcheckCommand.Clear();
                    file.User = null;
                    break;
                case "COPY" or "ADD":
                    var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (!words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal)))
                    {
                        file.CopySources.AddRange(words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).SkipLast(1));
                    }

                    break;
                case "ENV":
                    foreach (Match m in EnvPair().Matches(rest))
                    {
                        file.Environment[m.Groups["k"].Value] = m.Groups["v"].Value.Trim('"');
                    }

                    break;
                case "EXPOSE":
                    foreach (var port in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        file.Exposed.Add(int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture));
                    }

                    break;
                case "ENTRYPOINT":
                    file.Entrypoint.AddRange(JsonSerializer.Deserialize<string[]>(rest) ?? []);
                    break;
                case "HEALTHCHECK":
                    var cmd = rest.IndexOf("CMD ", StringComparison.Ordinal);
                    if (cmd >= 0)
                    {
                        file.HealthcheckCommand.AddRange(JsonSerializer.Deserialize<string[]>(rest[(cmd + 4)..]) ?? []);
                    }

                    break;
                case "USER":
                    file.User = rest;
                    break;
                case "RUN":
                    var publish = Publish().Match(rest);
                    if (publish.Success)
                    {
                        file.PublishedProject = publish.Groups["p"].Value;
                    }

                    break;
            }
        }

        return file;
    }

    /// <summary>The Kestrel endpoints the image listens on: the project's appsettings.json, then the image's ENV.</summary>
    public List<KestrelEndpoint> Endpoints()
    {
        if (PublishedProject is null || !File.Exists(RepoPaths.Of(PublishedProject)))
        {
            return [];
        }

        var settings = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(RepoPaths.Of(PublishedProject))!, "appsettings.json");
        var endpoints = new List<KestrelEndpoint>();
        if (!File.Exists(settings))
        {
            return endpoints;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(settings));
        if (!json.RootElement.TryGetProperty("Kestrel", out var kestrel) || !kestrel.TryGetProperty("Endpoints", out var list))
        {
            return endpoints;
        }

        foreach (var endpoint in list.EnumerateObject())
        {
            var url = Environment.GetValueOrDefault($"Kestrel__Endpoints__{endpoint.Name}__Url")
                ?? endpoint.Value.GetProperty("Url").GetString()!;
            var protocols = Environment.GetValueOrDefault($"Kestrel__Endpoints__{endpoint.Name}__Protocols")
                ?? (endpoint.Value.TryGetProperty("Protocols", out var p) ? p.GetString()! : "Http1AndHttp2");
            endpoints.Add(new KestrelEndpoint(endpoint.Name, new Uri(url).Port, protocols));
        }

        return endpoints;
    }

    /// <summary>The configuration baked into the image, ':'-separated keys: the project's appsettings.json, then the
    /// image's ENV. The deployment's environment goes on top of this.</summary>
    public Dictionary<string, string?> Settings()
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (PublishedProject is not null && File.Exists(RepoPaths.Of(PublishedProject)))
        {
            var settings = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(RepoPaths.Of(PublishedProject))!, "appsettings.json");
            if (File.Exists(settings))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(settings));
                Flatten(json.RootElement, null, result);
            }
        }

        foreach (var (key, value) in Environment)
        {
            result[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return result;
    }

    /// <summary>Assembly name of a csproj: its AssemblyName property, else its file name.</summary>
    public static string AssemblyNameOf(string csprojPath)
    {
        var declared = XDocument.Load(csprojPath).Descendants("AssemblyName").FirstOrDefault()?.Value;
        return string.IsNullOrWhiteSpace(declared) ? System.IO.Path.GetFileNameWithoutExtension(csprojPath) : declared;
    }

    /// <summary>The csproj and every project it references, transitively (absolute paths).</summary>
    public static SortedSet<string> ProjectClosure(string csprojPath)
    {
        var all = new SortedSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([System.IO.Path.GetFullPath(csprojPath)]);
        while (stack.Count > 0)
        {
            var project = stack.Pop();
            if (!all.Add(project) || !File.Exists(project))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                stack.Push(System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(project)!, include)));
            }
        }

        return all;
    }

    private static IEnumerable<string> LogicalLines(string text)
    {
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            current += line;
            if (!string.IsNullOrWhiteSpace(current))
            {
                yield return current.Trim();
            }

            current = "";
        }
    }

    [GeneratedRegex("""(?<k>[A-Za-z_][A-Za-z0-9_]*)=(?<v>"[^"]*"|\S*)""")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"dotnet publish (?<p>\S+\.csproj)")]
    private static partial Regex Publish();

    private static void Flatten(JsonElement element, string? path, Dictionary<string, string?> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path is null ? property.Name : $"{path}:{property.Name}", into);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}:{i++}", into);
                }

                break;
            case JsonValueKind.Null:
                break;
            default:
                into[path!] = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                break;
        }
    }
}

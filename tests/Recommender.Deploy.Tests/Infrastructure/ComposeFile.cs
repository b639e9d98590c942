using System.Text.RegularExpressions;

namespace Recommender.Deploy.Tests.Infrastructure;

public sealed class ComposeService
{
    public required string Name { get; init; }

    public string? Image { get; set; }

    public string? BuildContext { get; set; }

    public string? Dockerfile { get; set; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Container side of each published port.</summary>
    public List<int> ContainerPorts { get; } = [];

    public List<string> Healthcheck { get; } = [];

    public List<string> Command { get; } = [];

    public List<string> DependsOn { get; } = [];
}

/// <summary>docker-compose.yml as the checks need it, interpolated the way Compose does (${VAR:-default}, $$).</summary>
public sealed partial class ComposeFile
{
    public Dictionary<string, ComposeService> Services { get; } = new(StringComparer.Ordinal);

    public static ComposeFile Load(string path, IReadOnlyDictionary<string, string>? variables = null) =>
        Parse(File.ReadAllText(path), variables ?? new Dictionary<string, string>());

    public static ComposeFile Parse(string text, IReadOnlyDictionary<string, string> variables)
    {
        var root = Yaml.LoadAll(text).Single();
        var file = new ComposeFile();
        foreach (var (key, value) in root.Map("services") ?? [])
        {
            var map = (Dictionary<object, object?>)value!;
            var service = new ComposeService { Name = (string)key };
            string? I(string? s) => s is null ? null : Interpolate(s, variables);
            service.Image = I(map.Str("image"));
            if (map.Map("build") is { } build)
            {
                service.BuildContext = I(build.Str("context"));
                service.Dockerfile = I(build.Str("dockerfile"));
            }

            switch (map.GetValueOrDefault("environment"))
            {
                case Dictionary<object, object?> env:
                    foreach (var (k, v) in env)
                    {
                        service.Environment[(string)k] = I(v?.ToString() ?? "")!;
                    }

                    break;
                case List<object?> env:
                    foreach (var item in env.Select(e => e?.ToString() ?? ""))
                    {
                        var eq = item.IndexOf('=', StringComparison.Ordinal);
                        service.Environment[eq < 0 ? item : item[..eq]] = eq < 0 ? "" : I(item[(eq + 1)..])!;
                    }

                    break;
            }

            foreach (var port in map.List("ports").Select(p => I(p?.ToString() ?? "")!))
            {
                var containerSide = port.Split(':')[^1].Split('/')[0];
                service.ContainerPorts.Add(int.Parse(containerSide, System.Globalization.CultureInfo.InvariantCulture));
            }

            if (map.Map("healthcheck") is { } health)
            {
                service.Healthcheck.AddRange(health.List("test").Select(t => I(t?.ToString() ?? "")!));
            }

            service.Command.AddRange(map.List("command").Select(c => I(c?.ToString() ?? "")!));
            switch (map.GetValueOrDefault("depends_on"))
            {
                case Dictionary<object, object?> depends:
                    service.DependsOn.AddRange(depends.Keys.Select(k => (string)k));
                    break;
                case List<object?> depends:
                    service.DependsOn.AddRange(depends.Select(d => d?.ToString() ?? ""));
                    break;
            }

            file.Services[service.Name] = service;
        }

        return file;
    }

    /// <summary>Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR; $$ is a literal $.</summary>
    public static string Interpolate(string text, IReadOnlyDictionary<string, string> variables) =>
        Variable().Replace(text, m =>
        {
            if (m.Value == "$$")
            {
                return "$";
            }

            var name = m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["bare"].Value;
            var has = variables.TryGetValue(name, out var value);
            if (!m.Groups["op"].Success)
            {
                return value ?? "";
            }

            var useDefault = m.Groups["op"].Value == ":-" ? string.IsNullOrEmpty(value) : !has;
            return useDefault ? m.Groups["default"].Value : value!;
        });

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?-)(?<default>[^}]*))?\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();
}

using System.Text.RegularExpressions;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>A configuration key a manifest may set before the code that reads it has been merged.</summary>
/// <param name="Key">The ':'-separated key.</param>
/// <param name="UntilBound">Accepted only while no options class binds this path; once the real options land, the
/// key is checked against them like any other (so a name that came out different is reported).</param>
/// <param name="Reason">What will read it.</param>
public sealed record PendingOption(string Key, string UntilBound, string Reason);

/// <summary>The small, explicit lists of names that are not Recommender options classes.</summary>
public static partial class KnownNames
{
    /// <summary>Read by ASP.NET Core, the .NET host or OpenTelemetry rather than by an options class of ours.</summary>
    public static IReadOnlyList<(Regex Pattern, string Reader)> Framework { get; } =
    [
        (KestrelEndpoint(), "Kestrel endpoint configuration"),
        (LogLevel(), "Microsoft.Extensions.Logging"),
        (HostEnvironment(), "the ASP.NET Core host"),
        (HttpPorts(), "the ASP.NET Core host (the runtime image sets it; the Dockerfiles clear it)"),
        (Otlp(), "OpenTelemetry exporter (service defaults export only when it is set)"),
        (GcGen0Size(), "the .NET runtime's garbage collector (the young generation's budget, read at process start)"),
        (ReadyToRun(), "the .NET runtime (0: the framework's precompiled code is not used, read at process start)"),
    ];

    /// <summary>Keys whose options are being written on other branches. Keep this list short; see UntilBound.</summary>
    public static IReadOnlyList<PendingOption> PendingOptions { get; } =
    [
        // Empty: every option the manifests name exists. Add a name here only while its code is on another branch.
    ];

    /// <summary>Projects a Dockerfile builds that are being written on other branches.</summary>
    public static IReadOnlyDictionary<string, string> PendingProjects { get; } = new Dictionary<string, string>
    {
        ["services/Cli/Recommender.Cli.csproj"] = "the CLI (import command used by the seeding job)",
    };

    /// <summary>Environment variables a tool image (not a service host with options classes) reads, by Dockerfile name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Name, string Reader)>> ToolEnvironment { get; } =
        new Dictionary<string, IReadOnlyList<(string Name, string Reader)>>
        {
            ["cli"] = [("RECOMMENDER_API_KEY", "the CLI (default of --api-key)")],
        };

    /// <summary>Options a service must have when it authenticates callers with API keys (Auth:Mode=ApiKeys).</summary>
    public static IReadOnlyList<(string Key, string Reason)> RequiredWithApiKeys { get; } =
    [
        ("Ranking:VectorApiKey", "Ranking's calls to the vector service would carry no key and be refused (set a Service key)"),
    ];

    public static string? FrameworkReader(string key) =>
        Framework.FirstOrDefault(f => f.Pattern.IsMatch(key)).Reader;


    [GeneratedRegex("^Kestrel:Endpoints:[^:]+:(Url|Protocols)$", RegexOptions.IgnoreCase)]
    private static partial Regex KestrelEndpoint();

    [GeneratedRegex("^Logging:LogLevel:[^:]+$", RegexOptions.IgnoreCase)]
    private static partial Regex LogLevel();

    [GeneratedRegex("^(ASPNETCORE|DOTNET)_ENVIRONMENT$")]
    private static partial Regex HostEnvironment();

    [GeneratedRegex("^ASPNETCORE_HTTP_PORTS$")]
    private static partial Regex HttpPorts();

    [GeneratedRegex("^OTEL_EXPORTER_OTLP_ENDPOINT$")]
    private static partial Regex Otlp();

    [GeneratedRegex("^DOTNET_GCgen0size$")]
    private static partial Regex GcGen0Size();

    [GeneratedRegex("^DOTNET_ReadyToRun$")]
    private static partial Regex ReadyToRun();
}

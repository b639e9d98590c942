using System.Diagnostics;
using System.Globalization;

namespace Recommender.LoadTests;

/// <summary>
/// Runs the load with the runtime settings the services' images set: the young GC generation's budget
/// (DOTNET_GCgen0size) and the framework's precompiled code left unused (DOTNET_ReadyToRun=0, so its hot methods are
/// compiled with dynamic PGO too; docs/deploy.md, "Runtime settings"). The runtime reads both once, at process start,
/// and the client hosts the services in its own process: so when one is missing it starts itself again with both set,
/// passes the same arguments, shares the console and returns the child's exit code.
/// </summary>
internal static class ImageRuntime
{
    public const string Gen0Variable = "DOTNET_GCgen0size";

    public const string ReadyToRunVariable = "DOTNET_ReadyToRun";

    /// <summary>The exit code of the client run again with the images' settings, or null when this process is the one to
    /// measure (each setting is in the environment or turned off by its option, or the load goes to a --target that
    /// runs elsewhere).</summary>
    public static async Task<int?> RunWithImageSettingsAsync(LoadOptions o, string[] args)
    {
        var gen0Missing = o.Gen0BudgetMb > 0 && Configured(Gen0Variable) is null;
        var readyToRunMissing = !o.ReadyToRun && Configured(ReadyToRunVariable) is null;
        if (o.Target is not null || !(gen0Missing || readyToRunMissing))
        {
            return null;
        }

        var host = Environment.ProcessPath ?? throw new InvalidOperationException(
            $"The process path is unknown, so the client cannot run itself again; set {Gen0Variable} and {ReadyToRunVariable}, or pass --gen0-budget-mb 0 --ready-to-run on.");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(ImageRuntime).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (gen0Missing)
        {
            start.Environment[Gen0Variable] = "0x" + ((long)o.Gen0BudgetMb << 20).ToString("x", CultureInfo.InvariantCulture);
        }

        if (readyToRunMissing)
        {
            start.Environment[ReadyToRunVariable] = "0";
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    /// <summary>The settings this process runs with, as the report's header shows them.</summary>
    public static string Describe()
    {
        var gen0 = Configured(Gen0Variable);
        var mode = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation";
        var budget = gen0 is null
            ? $"GC {mode}, young generation budget: the runtime's own"
            : $"GC {mode}, young generation budget {Gen0Variable}={gen0} ({Mb(gen0)} per heap)";
        var readyToRun = Configured(ReadyToRunVariable) is "0"
            ? $"framework code JIT-compiled with dynamic PGO ({ReadyToRunVariable}=0)"
            : "framework code precompiled (ReadyToRun)";
        return $"{budget}; {readyToRun}";
    }

    private static string? Configured(string variable) =>
        Environment.GetEnvironmentVariable(variable) ?? Environment.GetEnvironmentVariable("COMPlus_" + variable["DOTNET_".Length..]);

    private static string Mb(string hex) =>
        long.TryParse(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bytes)
            ? $"{bytes / (1024.0 * 1024):0.#} MB"
            : "unreadable";
}

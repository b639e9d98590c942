using System.Diagnostics;
using System.Globalization;

namespace Recommender.LoadTests;

/// <summary>
/// Runs the load with the young GC generation's budget the services' images set (DOTNET_GCgen0size). The runtime reads
/// it once, at process start, and the client hosts the services in its own process: so when the variable is missing it
/// starts itself again with it set, passes the same arguments, shares the console and returns the child's exit code.
/// </summary>
internal static class GcBudget
{
    public const string Variable = "DOTNET_GCgen0size";

    /// <summary>The exit code of the client run again with the budget, or null when this process is the one to measure
    /// (the variable is set, --gen0-budget-mb is 0, or the load goes to a --target that runs elsewhere).</summary>
    public static async Task<int?> RunWithBudgetAsync(LoadOptions o, string[] args)
    {
        if (o.Gen0BudgetMb == 0 || o.Target is not null || Configured() is not null)
        {
            return null;
        }

        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown, so the client cannot run itself again; set " + Variable + " or pass --gen0-budget-mb 0.");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(GcBudget).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[Variable] = "0x" + ((long)o.Gen0BudgetMb << 20).ToString("x", CultureInfo.InvariantCulture);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    /// <summary>The budget this process runs with, as the report's header shows it.</summary>
    public static string Describe()
    {
        var value = Configured();
        var mode = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation";
        return value is null
            ? $"GC {mode}, young generation budget: the runtime's own"
            : $"GC {mode}, young generation budget {Variable}={value} ({Mb(value)} per heap)";
    }

    private static string? Configured() =>
        Environment.GetEnvironmentVariable(Variable) ?? Environment.GetEnvironmentVariable("COMPlus_GCgen0size");

    private static string Mb(string hex) =>
        long.TryParse(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bytes)
            ? $"{bytes / (1024.0 * 1024):0.#} MB"
            : "unreadable";
}

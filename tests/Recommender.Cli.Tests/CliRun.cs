using Spectre.Console;

namespace Recommender.Cli.Tests;

/// <summary>Runs the CLI's real command tree in-process (the exact option names release checks use) and captures
/// what it printed. Tests in this assembly run one at a time, since the console is process-wide.</summary>
public static class CliRun
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static string SampleProducts { get; } = Path.Combine(AppContext.BaseDirectory, "SampleData", "icecat-sample.jsonl.gz");

    public static async Task<(int ExitCode, string Output)> InvokeAsync(params string[] args)
    {
        await Gate.WaitAsync(TestContext.Current.CancellationToken);
        var previous = AnsiConsole.Console;
        var writer = new StringWriter();
        try
        {
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(writer),
            });
            AnsiConsole.Console.Profile.Width = 200;
            var code = await CliApp.CreateRoot().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Gate.Release();
        }
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "recommender-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static string SharedData(params string[] parts)
    {
        var fromEnv = Environment.GetEnvironmentVariable("RECOMMENDER_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return Path.Combine([fromEnv, .. parts]);
        }

        // ../shared/data next to the repository (or next to the folder holding its worktrees).
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "homedepot")))
            {
                return Path.Combine([candidate, .. parts]);
            }
        }

        return Path.Combine(["/nonexistent/shared/data", .. parts]);
    }
}

using Recommender.Cli.Evaluation;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>Turns bad input into one clear red line and exit code 2 instead of a stack trace.</summary>
public static class CliErrors
{
    public const int BadInput = 2;

    public static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliInputException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return BadInput;
        }
    }

    public static Task<int> Guard(Func<int> action) => Guard(() => Task.FromResult(action()));
}

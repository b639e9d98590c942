using System.CommandLine;
using Recommender.Cli.Commands;

namespace Recommender.Cli;

/// <summary>The command tree, shared by Program and the tests (which parse the exact option names release checks use).</summary>
public static class CliApp
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Recommender command-line tools: import catalogs, train, rank and evaluate, export fine-tuning sets.");
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(TrainEmbedderCommand.Create());
        root.Subcommands.Add(EvalEmbedderCommand.Create());
        root.Subcommands.Add(ExportFinetuneCommand.Create());
        root.Subcommands.Add(RankCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        return root;
    }
}

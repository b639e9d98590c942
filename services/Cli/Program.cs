using System.CommandLine;
using Recommender.Cli.Commands;

// Thin registration: each command lives in Commands/ and builds itself.
var root = new RootCommand("Recommender command-line tools: import catalogs, train and evaluate models, export fine-tuning sets.");
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(TrainEmbedderCommand.Create());
root.Subcommands.Add(EvalEmbedderCommand.Create());
root.Subcommands.Add(ExportFinetuneCommand.Create());
return await root.Parse(args).InvokeAsync();

using System.CommandLine;
using Recommender.Cli.Commands;

var root = new RootCommand("Recommender command line: offline catalog and model tasks.")
{
    ExportFinetuneCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

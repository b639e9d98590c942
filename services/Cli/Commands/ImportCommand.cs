using System.CommandLine;

namespace Recommender.Cli.Commands;

/// <summary><c>import --file F [--tenant T] --ingestion URL</c> (placeholder until the RPC exists).</summary>
public static class ImportCommand
{
    public static Command Create() => new("import", "Import a catalog file through a running Ingestion service.");
}

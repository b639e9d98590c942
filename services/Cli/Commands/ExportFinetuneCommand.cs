using System.CommandLine;
using System.Diagnostics;
using Recommender.Contracts;
using Recommender.Ranking.Intent;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>export-finetune --products F1[,F2] --out FILE.jsonl [--count N] [--seed S]</c>: a chat-format JSONL training set
/// (system prompt, shopper query, intent JSON) synthesised from real pins, for LoRA fine-tuning an open model as the
/// remote intent parser. See docs/intent.md for the recipe.
/// </summary>
public static class ExportFinetuneCommand
{
    public static Command Create()
    {
        var products = new Option<string>("--products")
        {
            Description = "Catalog files (JSON Lines, optionally .gz; pin JSON or the shared data exports), comma-separated.",
            Required = true,
        };
        var output = new Option<FileInfo>("--out") { Description = "JSONL file to write.", Required = true };
        var count = new Option<int>("--count") { Description = "Examples to write.", DefaultValueFactory = _ => 5_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same set).", DefaultValueFactory = _ => 1 };
        var command = new Command("export-finetune", "Write a chat-format JSONL fine-tuning set (query -> intent JSON) from a catalog.")
        {
            products, output, count, seed,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(products)!, parse.GetValue(output)!, parse.GetValue(count), parse.GetValue(seed), cancellationToken)));
        return command;
    }

    public static int Run(string products, FileInfo output, int count, int seed, CancellationToken cancellationToken)
    {
        if (count < 1)
        {
            AnsiConsole.MarkupLine("[red]--count must be at least 1.[/]");
            return 2;
        }

        var started = Stopwatch.GetTimestamp();
        var pins = new List<PinData>();
        foreach (var file in products.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(file))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]No such file: {file}[/]");
                return 2;
            }

            // Each file keeps its own id space: prefix ids with the file's position so two catalogs never collide.
            var read = CatalogFileReader.Read(file, "export");
            pins.AddRange(read.Select(p => p with { Id = $"{pins.Count}:{p.Id}" }));
            AnsiConsole.MarkupLineInterpolated($"Read [bold]{read.Count}[/] products from {file}");
        }

        if (pins.Count == 0)
        {
            AnsiConsole.MarkupLine("[red]No products read.[/]");
            return 1;
        }

        output.Directory?.Create();
        using var writer = new StreamWriter(output.FullName);
        var written = FineTuneSetBuilder.Write(pins, writer, count, seed);
        AnsiConsole.MarkupLineInterpolated(
            $"Wrote [bold]{written}[/] examples to {output.FullName} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return written > 0 ? 0 : 1;
    }
}

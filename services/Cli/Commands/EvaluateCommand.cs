using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Recommender.Cli.Evaluation;
using Recommender.Embeddings.Training;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>evaluate --run RUN.jsonl --judgments J [--split NAME] [--products F1[,F2]] [--show N]</c>: NDCG@10 and
/// recall@100 of a run (the shared <see cref="Embeddings.Evaluation.RetrievalMetrics"/>), against a Lucene BM25
/// baseline over the same products (from --products, or the run's .meta.json sidecar); a per-query table (worst and
/// best N), and next to the run: RUN.per-query.csv, RUN.eval.md, RUN.eval.json and the chart RUN.eval.svg.
/// </summary>
public static class EvaluateCommand
{
    public sealed record Arguments(string Run, string Judgments, string? Split, IReadOnlyList<string>? Products, int Show = 10);

    /// <summary>What one evaluation produced: the numbers and where the files went.</summary>
    public sealed record Result(Summary Summary, IReadOnlyList<QueryScore> Scores, string CsvPath, string MarkdownPath, string JsonPath, string ChartPath);

    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run file written by rank.", Required = true };
        var judgments = new Option<string>("--judgments") { Description = "Judgments JSONL {query_id, query, product_id, label, split}.", Required = true };
        var split = new Option<string?>("--split") { Description = "Only the queries of this split (e.g. val)." };
        var products = new Option<string?>("--products") { Description = "Product JSONL file(s) for the BM25 baseline (default: those recorded in RUN.jsonl.meta.json)." };
        var show = new Option<int>("--show") { Description = "How many worst and best queries to print.", DefaultValueFactory = _ => 10 };
        var command = new Command("evaluate", "NDCG@10 and recall@100 of a run against judgments and a BM25 baseline, with a per-query table and a chart.")
        {
            run, judgments, split, products, show,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.Guard(async () =>
        {
            var productPaths = parse.GetValue(products) is { Length: > 0 } p ? RunFiles.SplitPaths(p, "--products") : null;
            await RunAsync(new Arguments(parse.GetValue(run)!, parse.GetValue(judgments)!, parse.GetValue(split), productPaths, parse.GetValue(show)), cancellationToken);
            return 0;
        }));
        return command;
    }

    public static async Task<Result> RunAsync(Arguments args, CancellationToken cancellationToken)
    {
        RunFiles.RequireFile(args.Run, "--run");
        RunFiles.RequireFile(args.Judgments, "--judgments");
        var started = Stopwatch.StartNew();
        var run = RunEvaluator.GroupRun(RunFiles.ReadRun(args.Run));
        var queries = RunEvaluator.GroupJudgments(RunFiles.ReadJudgments(args.Judgments), args.Split);
        if (queries.Count == 0)
        {
            throw new CliInputException(args.Split is null
                ? $"{args.Judgments}: no judged queries."
                : $"{args.Judgments}: no judged queries in split '{args.Split}'.");
        }

        var missing = queries.Count(q => !run.ContainsKey(q.QueryId));
        if (missing > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{missing:N0} of {queries.Count:N0} judged queries are not in the run: they score 0.[/]");
        }

        var meta = RunFiles.ReadMetadata(args.Run);
        var productPaths = args.Products ?? meta?.Products;
        List<QueryScore> scores;
        var baselineSeconds = 0.0;
        if (productPaths is { Count: > 0 })
        {
            foreach (var path in productPaths)
            {
                RunFiles.RequireFile(path, args.Products is null ? $"{RunFiles.MetadataPath(args.Run)} products" : "--products");
            }

            var baselineStarted = Stopwatch.StartNew();
            var pool = productPaths.SelectMany(CatalogFiles.ReadProducts).DistinctBy(p => p.Id, StringComparer.Ordinal).ToList();
            using var bm25 = new LuceneBm25(pool, BaselineText);
            scores = RunEvaluator.Score(queries, run, q => bm25.Search(q, 100));
            baselineSeconds = baselineStarted.Elapsed.TotalSeconds;
            AnsiConsole.MarkupLineInterpolated($"BM25 baseline over {pool.Count:N0} products in {baselineSeconds:F1} s.");
        }
        else
        {
            AnsiConsole.MarkupLine("[yellow]No products (no --products and no run sidecar): no BM25 baseline.[/]");
            scores = RunEvaluator.Score(queries, run, null);
        }

        var summary = RunEvaluator.Summarize(scores, missing);
        PrintSummary(summary, args.Split);
        PrintQueries(scores, args.Show);

        var stem = Stem(args.Run);
        var result = new Result(summary, scores, stem + ".per-query.csv", stem + ".eval.md", stem + ".eval.json", stem + ".eval.svg");
        await File.WriteAllTextAsync(result.CsvPath, Csv(scores), cancellationToken);
        await File.WriteAllTextAsync(result.MarkdownPath, Markdown(args, summary, scores), cancellationToken);
        await File.WriteAllTextAsync(result.JsonPath, JsonSerializer.Serialize(new
        {
            run = Path.GetFullPath(args.Run),
            judgments = Path.GetFullPath(args.Judgments),
            split = args.Split,
            summary.Queries,
            summary.NdcgQueries,
            summary.RecallQueries,
            ndcg10 = Json(summary.Ndcg10),
            recall100 = Json(summary.Recall100),
            bm25Ndcg10 = Json(summary.BaselineNdcg10),
            bm25Recall100 = Json(summary.BaselineRecall100),
            ndcgRatio = Json(summary.NdcgRatio),
            summary.MissingFromRun,
            baselineSeconds = Math.Round(baselineSeconds, 2),
            seconds = Math.Round(started.Elapsed.TotalSeconds, 2),
        }, RunFiles.Json) + "\n", cancellationToken);
        var title = $"{Path.GetFileName(args.Run)} vs BM25{(args.Split is null ? "" : $" ({args.Split} split)")}, {summary.Queries:N0} queries";
        await File.WriteAllTextAsync(result.ChartPath, EvaluationChart.Render(title, summary, scores, "run (Search pipeline)"), cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"Chart: [bold]{Path.GetFullPath(result.ChartPath)}[/]");
        AnsiConsole.MarkupLineInterpolated($"Per-query: [bold]{Path.GetFullPath(result.CsvPath)}[/], summary: {Path.GetFullPath(result.MarkdownPath)}");
        return result;
    }

    /// <summary>The baseline indexes the same text a shopper could match: title, brand, description.</summary>
    public static string BaselineText(CatalogProduct p) => string.Join(' ', new[] { p.Title, p.Brand, p.Description }.Where(s => s.Length > 0));

    private static double? Json(double value) => double.IsNaN(value) ? null : Math.Round(value, 6);

    private static string Stem(string run) =>
        run.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? run[..^".jsonl".Length] : run;

    private static void PrintSummary(Summary s, string? split)
    {
        var table = new Table().Title($"{s.Queries:N0} judged queries{(split is null ? "" : $" (split {split})")}")
            .AddColumns("", "NDCG@10", "recall@100");
        table.AddRow("run", RunFiles.Format(s.Ndcg10), RunFiles.Format(s.Recall100));
        table.AddRow("BM25 (Lucene EnglishAnalyzer)", RunFiles.Format(s.BaselineNdcg10), RunFiles.Format(s.BaselineRecall100));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(
            $"NDCG@10 over {s.NdcgQueries:N0} queries, recall@100 over {s.RecallQueries:N0} (queries with a product labelled >= 2).");
        AnsiConsole.MarkupLineInterpolated($"NDCG@10 run / BM25 = [bold]{(double.IsNaN(s.NdcgRatio) ? "-" : s.NdcgRatio.ToString("F3", CultureInfo.InvariantCulture))}[/]");
    }

    private static void PrintQueries(List<QueryScore> scores, int show)
    {
        var defined = scores.Where(s => !double.IsNaN(s.Ndcg10)).OrderBy(s => s.Ndcg10).ThenBy(s => s.QueryId, StringComparer.Ordinal).ToList();
        if (show <= 0 || defined.Count == 0)
        {
            return;
        }

        Print($"Worst {Math.Min(show, defined.Count)} queries by NDCG@10", defined.Take(show));
        Print($"Best {Math.Min(show, defined.Count)} queries by NDCG@10", defined.AsEnumerable().Reverse().Take(show));

        static void Print(string title, IEnumerable<QueryScore> rows)
        {
            var table = new Table().Title(title).AddColumn(new TableColumn("query_id").NoWrap())
                .AddColumns("query", "judged", "NDCG@10", "BM25", "delta", "recall@100");
            foreach (var s in rows)
            {
                table.AddRow(Markup.Escape(s.QueryId), Markup.Escape(s.Query), s.Judged.ToString(CultureInfo.InvariantCulture),
                    RunFiles.Format(s.Ndcg10), RunFiles.Format(s.BaselineNdcg10), RunFiles.Format(s.NdcgDelta), RunFiles.Format(s.Recall100));
            }

            AnsiConsole.Write(table);
        }
    }

    private static string Csv(List<QueryScore> scores)
    {
        var csv = new StringBuilder("query_id,query,judged,relevant,returned,ndcg10,recall100,bm25_ndcg10,bm25_recall100,ndcg10_delta\n");
        foreach (var s in scores)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{CsvField(s.QueryId)},{CsvField(s.Query)},{s.Judged},{s.Relevant},{s.Returned},{Cell(s.Ndcg10)},{Cell(s.Recall100)},{Cell(s.BaselineNdcg10)},{Cell(s.BaselineRecall100)},{Cell(s.NdcgDelta)}\n");
        }

        return csv.ToString();

        static string Cell(double v) => double.IsNaN(v) ? "" : v.ToString("F6", CultureInfo.InvariantCulture);
    }

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny("\",\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Markdown(Arguments args, Summary s, List<QueryScore> scores)
    {
        var md = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Evaluation of {Path.GetFileName(args.Run)}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Judgments `{Path.GetFileName(args.Judgments)}`, split `{args.Split ?? "all"}`: {s.Queries} queries ({s.MissingFromRun} not in the run).")
            .AppendLine()
            .AppendLine("| | NDCG@10 | recall@100 |")
            .AppendLine("|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| run | {RunFiles.Format(s.Ndcg10)} | {RunFiles.Format(s.Recall100)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| BM25 (Lucene EnglishAnalyzer) | {RunFiles.Format(s.BaselineNdcg10)} | {RunFiles.Format(s.BaselineRecall100)} |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"NDCG@10 run / BM25: {RunFiles.Format(s.NdcgRatio)}")
            .AppendLine()
            .AppendLine("| query_id | query | judged | relevant | NDCG@10 | BM25 NDCG@10 | delta | recall@100 | BM25 recall@100 |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var q in scores.OrderBy(q => double.IsNaN(q.Ndcg10) ? 2 : q.Ndcg10))
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {q.QueryId} | {q.Query.Replace("|", "\\|", StringComparison.Ordinal)} | {q.Judged} | {q.Relevant} | {RunFiles.Format(q.Ndcg10)} | {RunFiles.Format(q.BaselineNdcg10)} | {RunFiles.Format(q.NdcgDelta)} | {RunFiles.Format(q.Recall100)} | {RunFiles.Format(q.BaselineRecall100)} |");
        }

        return md.ToString();
    }
}

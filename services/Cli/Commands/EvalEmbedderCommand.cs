using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Recommender.Cli.Evaluation;
using Recommender.Embeddings;
using Recommender.Embeddings.Evaluation;
using Recommender.Embeddings.Model;
using Recommender.Embeddings.Training;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>eval-embedder --products F --judgments J --split val --models DIR[,DIR2]</c>: NDCG@10 and recall@100 over the
/// full product pool for Lucene BM25, and for each model (plus the training-free hashing baseline) dense-only,
/// sparse-only and hybrid retrieval through the real embedded store.
/// </summary>
public static class EvalEmbedderCommand
{
    public sealed record Row(string Method, string Model, double Ndcg10, double Recall100, int Queries, double MsPerQuery);

    public static Command Create()
    {
        var products = new Option<string>("--products") { Description = "Product JSONL (the retrieval pool).", Required = true };
        var judgments = new Option<string>("--judgments") { Description = "Judgments JSONL.", Required = true };
        var split = new Option<string>("--split") { Description = "Which split's queries to evaluate.", DefaultValueFactory = _ => "val" };
        var models = new Option<string?>("--models") { Description = "Embedder artifact folder(s), comma-separated." };
        var report = new Option<string>("--report") { Description = "Folder for report.json and report.md.", DefaultValueFactory = _ => "artifacts/eval-embedder" };
        var skipHash = new Option<bool>("--skip-hashing") { Description = "Do not evaluate the hashing baseline." };
        var command = new Command("eval-embedder", "Evaluate embedders against a BM25 baseline on judged queries.")
        {
            products, judgments, split, models, report, skipHash,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pool = CatalogFiles.ReadProducts(parse.GetValue(products)!);
            var splitName = parse.GetValue(split)!;
            var queries = CatalogFiles.ReadJudgments(parse.GetValue(judgments)!)
                .Where(j => j.Split == splitName)
                .GroupBy(j => j.QueryId)
                .Select(g => (Query: g.First().Query, Labels: (IReadOnlyDictionary<string, float>)g
                    .GroupBy(j => j.ProductId).ToDictionary(x => x.Key, x => x.Average(j => j.Label), StringComparer.Ordinal)))
                .ToList();
            AnsiConsole.MarkupLine($"Pool: [bold]{pool.Count:N0}[/] products; [bold]{queries.Count:N0}[/] {splitName} queries.");

            var rows = new List<Row>();
            using (var bm25 = new LuceneBm25(pool, p => p.Title))
            {
                rows.Add(Score("BM25 (Lucene EnglishAnalyzer)", "-", queries, q => Task.FromResult(bm25.Search(q, 100))).Result);
            }

            var embedders = new List<ITextEmbedder>();
            if (!parse.GetValue(skipHash))
            {
                embedders.Add(new HashingEmbedder());
            }

            foreach (var dir in (parse.GetValue(models) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                embedders.Add(ModelArtifact.Load(dir));
            }

            var sparseDone = false;
            foreach (var embedder in embedders)
            {
                using var retriever = await StoreRetriever.BuildAsync(pool, embedder, cancellationToken);
                foreach (var mode in new[] { RetrievalMode.Sparse, RetrievalMode.Dense, RetrievalMode.Hybrid })
                {
                    if (mode == RetrievalMode.Sparse && sparseDone)
                    {
                        continue;
                    }

                    sparseDone |= mode == RetrievalMode.Sparse;
                    var name = mode switch
                    {
                        RetrievalMode.Sparse => "sparse only (store BM25-style)",
                        RetrievalMode.Dense => "dense only",
                        _ => "hybrid (RRF)",
                    };
                    rows.Add(await Score(name, mode == RetrievalMode.Sparse ? "-" : embedder.Version, queries,
                        q => retriever.SearchAsync(q, mode, 100, cancellationToken)));
                }
            }

            var table = new Table().AddColumns("method", "model", "NDCG@10", "recall@100", "queries", "ms/query");
            foreach (var r in rows)
            {
                table.AddRow(r.Method, r.Model, r.Ndcg10.ToString("F4", CultureInfo.InvariantCulture),
                    r.Recall100.ToString("F4", CultureInfo.InvariantCulture), r.Queries.ToString(CultureInfo.InvariantCulture),
                    r.MsPerQuery.ToString("F2", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            WriteReport(parse.GetValue(report)!, parse.GetValue(products)!, splitName, pool.Count, rows);
            return 0;
        });
        return command;
    }

    private static async Task<Row> Score(
        string method, string model, List<(string Query, IReadOnlyDictionary<string, float> Labels)> queries, Func<string, Task<List<string>>> search)
    {
        double ndcg = 0;
        double recall = 0;
        int ndcgCount = 0;
        int recallCount = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var (query, labels) in queries)
        {
            var ranked = await search(query);
            var n = RetrievalMetrics.NdcgAt(10, ranked, labels);
            if (!double.IsNaN(n))
            {
                ndcg += n;
                ndcgCount++;
            }

            var r = RetrievalMetrics.RecallAt(100, ranked, labels);
            if (!double.IsNaN(r))
            {
                recall += r;
                recallCount++;
            }
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / Math.Max(1, queries.Count);
        return new Row(method, model, ndcg / Math.Max(1, ndcgCount), recall / Math.Max(1, recallCount), ndcgCount, ms);
    }

    private static void WriteReport(string folder, string products, string split, int pool, List<Row> rows)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(
            new { products = Path.GetFileName(products), split, pool, rows }, ModelArtifact.JsonOptions) + "\n");
        var md = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Pool: {pool} products ({Path.GetFileName(products)}), split `{split}`.")
            .AppendLine()
            .AppendLine("| method | model | NDCG@10 | recall@100 | queries | ms/query |")
            .AppendLine("|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Method} | {r.Model} | {r.Ndcg10:F4} | {r.Recall100:F4} | {r.Queries} | {r.MsPerQuery:F2} |");
        }

        File.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
        AnsiConsole.MarkupLine($"Report written to [bold]{folder}[/].");
    }
}

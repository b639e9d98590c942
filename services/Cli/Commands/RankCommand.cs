using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Recommender.Cli.Evaluation;
using Recommender.Cli.Ranking;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ingestion.Import;
using Spectre.Console;
using RankingSearchRequest = Recommender.Contracts.Ranking.V1.SearchRequest;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>rank --products F1[,F2] --queries J --models DIR --top K --out RUN.jsonl</c>: loads the products into a fresh
/// embedded instance through the real ingest path (Ingestion gRPC -> embed -> PinsEmbedded -> vector store), lets
/// the instance learn its label-free intent vocabulary from that catalog, runs every distinct (query_id, query) of J
/// through Ranking.Search over gRPC, and writes one line per result. Labels in J are never read.
/// </summary>
public static class RankCommand
{
    public const int MaxTop = 1_000;
    private const int DefaultCandidates = 200;
    private const int IngestBatch = 1_000;

    public sealed record Arguments(IReadOnlyList<string> Products, string Queries, string Models, int Top, string Out, int Parallelism = 3);

    public static Command Create()
    {
        var products = new Option<string>("--products") { Description = "Product JSONL file(s), comma-separated (.gz or plain).", Required = true };
        var queries = new Option<string>("--queries") { Description = "Judgments JSONL: its distinct (query_id, query) pairs are run; labels are ignored.", Required = true };
        var models = new Option<string>("--models") { Description = "Trained-model folder (embedder/, ranker/, manifest.json); missing parts use the shipped defaults.", Required = true };
        var top = new Option<int>("--top") { Description = $"Results per query (1-{MaxTop}).", DefaultValueFactory = _ => 100 };
        var output = new Option<string>("--out") { Description = "Run file to write (JSON Lines {query_id, product_id, rank, score}).", Required = true };
        var parallelism = new Option<int>("--parallelism") { Description = "Concurrent Search calls (2-4 keeps 2 cores busy).", DefaultValueFactory = _ => 3 };
        var command = new Command("rank", "Rank the queries of a judgments file with the real Search pipeline over a fresh embedded instance.")
        {
            products, queries, models, top, output, parallelism,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.Guard(() => RunAsync(
            new Arguments(
                RunFiles.SplitPaths(parse.GetValue(products)!, "--products"), parse.GetValue(queries)!, parse.GetValue(models)!,
                parse.GetValue(top), parse.GetValue(output)!, parse.GetValue(parallelism)),
            cancellationToken)));
        return command;
    }

    public static async Task<int> RunAsync(Arguments args, CancellationToken cancellationToken)
    {
        if (args.Top is < 1 or > MaxTop)
        {
            throw new CliInputException($"--top must be between 1 and {MaxTop} (got {args.Top}).");
        }

        if (args.Parallelism is < 1 or > 16)
        {
            throw new CliInputException($"--parallelism must be between 1 and 16 (got {args.Parallelism}).");
        }

        RunFiles.RequireFile(args.Queries, "--queries");
        var total = Stopwatch.StartNew();
        var queries = RunFiles.ReadQueries(args.Queries);
        var pins = await ReadPinsAsync(args.Products, cancellationToken);
        var distinct = pins.Select(p => p.Id).Distinct(StringComparer.Ordinal).Count();
        AnsiConsole.MarkupLineInterpolated($"Catalog: [bold]{pins.Count:N0}[/] products ({distinct:N0} distinct ids); [bold]{queries.Count:N0}[/] queries; top {args.Top}.");

        var settings = new Dictionary<string, string?>
        {
            // Enough candidates for the deepest list asked for; the default 200 otherwise.
            ["Ranking:CandidateCount"] = Math.Max(DefaultCandidates, args.Top).ToString(CultureInfo.InvariantCulture),
            ["Ranking:MaxPageSize"] = Math.Max(100, args.Top).ToString(CultureInfo.InvariantCulture),
            // A batch run on a busy machine: a slow vector call must not fail a query.
            ["Ranking:VectorTimeoutMs"] = "30000",
        };
        var embedderPath = Path.Combine(args.Models, "embedder");
        var rankerPath = Path.Combine(args.Models, "ranker");
        string embedder;
        if (!Directory.Exists(args.Models))
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]No models folder at {Path.GetFullPath(args.Models)}: using the shipped default embedder and ranker.[/]");
        }

        if (File.Exists(Path.Combine(embedderPath, "manifest.json")))
        {
            settings["Embeddings:ModelPath"] = Path.GetFullPath(embedderPath);
            embedder = Path.GetFullPath(embedderPath);
        }
        else
        {
            embedder = "default (shipped models/embedder)";
            AnsiConsole.MarkupLineInterpolated($"[yellow]No embedder at {Path.GetFullPath(embedderPath)}: using the shipped default embedder.[/]");
        }

        string? ranker = null;
        if (Directory.Exists(rankerPath))
        {
            ranker = Path.GetFullPath(rankerPath);
            settings["Ranking:Model:Path"] = ranker;
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]No ranker at {Path.GetFullPath(rankerPath)}: using the default ranking model.[/]");
        }

        var results = new List<RunLine>[queries.Count];
        double startSeconds, ingestSeconds, querySeconds;
        var failed = new ConcurrentBag<string>();
        string? modelVersion = null;
        var phase = Stopwatch.StartNew();
        await using (var host = await InProcessSearchHost.StartAsync(settings, cancellationToken))
        {
            startSeconds = phase.Elapsed.TotalSeconds;
            embedder = $"{host.EmbedderVersion} ({embedder})";
            AnsiConsole.MarkupLineInterpolated($"Embedder: {embedder}.");
            phase.Restart();
            await Progress().StartAsync(async ctx =>
            {
                var sent = ctx.AddTask("Ingest (embed + publish)", maxValue: pins.Count);
                var stored = ctx.AddTask("Searchable in the vector store", maxValue: distinct);
                await IngestAsync(host, pins, sent, cancellationToken);
                await WaitSearchableAsync(host, distinct, stored, cancellationToken);
            });
            var learned = await host.RefreshIntentModelAsync(cancellationToken);
            await host.WaitForVectorIndexesAsync(cancellationToken);
            ingestSeconds = phase.Elapsed.TotalSeconds;
            AnsiConsole.MarkupLineInterpolated(
                $"Ingested {distinct:N0} pins in {ingestSeconds:F1} s (host start {startSeconds:F1} s); intent vocabulary {(learned ? "learned from this catalog" : "unchanged")}.");

            phase.Restart();
            await Progress().StartAsync(async ctx =>
            {
                var task = ctx.AddTask("Search", maxValue: queries.Count);
                async ValueTask SearchOneAsync(int i, CancellationToken ct)
                {
                    var (lines, version) = await SearchAsync(host, queries[i], args.Top, failed, ct);
                    results[i] = lines;
                    modelVersion ??= version;
                    task.Increment(1);
                }

                // One at a time until the vector store's clustered index is calibrated (its first unfiltered searches
                // decide whether later ones walk it or scan): the same queries calibrate it whatever the timing, so a
                // run is reproducible. Then in parallel.
                var next = 0;
                for (; next < queries.Count && !host.VectorIndexesCalibrated; next++)
                {
                    await SearchOneAsync(next, cancellationToken);
                }

                await Parallel.ForEachAsync(
                    Enumerable.Range(next, queries.Count - next),
                    new ParallelOptions { MaxDegreeOfParallelism = args.Parallelism, CancellationToken = cancellationToken },
                    SearchOneAsync);
            });
            querySeconds = phase.Elapsed.TotalSeconds;
        }

        await RunFiles.WriteRunAsync(args.Out, results.SelectMany(r => r), cancellationToken);
        var lineCount = results.Sum(r => r.Count);
        await RunFiles.WriteMetadataAsync(args.Out, new RunMetadata
        {
            Products = args.Products.Select(Path.GetFullPath).ToList(),
            Queries = Path.GetFullPath(args.Queries),
            Models = Path.GetFullPath(args.Models),
            Embedder = embedder,
            RankerPath = ranker,
            ModelVersion = modelVersion,
            Top = args.Top,
            ProductCount = distinct,
            QueryCount = queries.Count,
            FailedQueries = failed.Count,
            StartSeconds = Math.Round(startSeconds, 2),
            IngestSeconds = Math.Round(ingestSeconds, 2),
            QuerySeconds = Math.Round(querySeconds, 2),
            TotalSeconds = Math.Round(total.Elapsed.TotalSeconds, 2),
            CreatedAt = DateTimeOffset.UtcNow,
        }, cancellationToken);

        foreach (var failure in failed.Take(10))
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{failure}[/]");
        }

        AnsiConsole.MarkupLineInterpolated(
            $"Searched {queries.Count:N0} queries in {querySeconds:F1} s ({queries.Count / Math.Max(querySeconds, 1e-9):F0} queries/s, model {modelVersion ?? "-"}); {failed.Count} failed.");
        AnsiConsole.MarkupLineInterpolated($"Wrote [bold]{lineCount:N0}[/] lines to [bold]{Path.GetFullPath(args.Out)}[/] (+ .meta.json) in {total.Elapsed.TotalSeconds:F1} s total.");
        return 0;
    }

    private static Progress Progress() => AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn());

    /// <summary>Reads the products as pins (the ingestion's own reader and validator); a bad line stops the run with its number.</summary>
    private static async Task<List<Pin>> ReadPinsAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var pins = new List<Pin>();
        foreach (var path in paths)
        {
            var rejected = new List<string>();
            var rejectedCount = 0;
            await foreach (var row in JsonlCatalogReader.ReadAsync(path, cancellationToken))
            {
                if (row.Pin is null)
                {
                    rejectedCount++;
                    if (rejected.Count < 5)
                    {
                        rejected.Add($"{path} line {row.Line}: {row.Error}");
                    }

                    continue;
                }

                row.Pin.Tenant = "";
                pins.Add(row.Pin);
            }

            if (rejectedCount > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{path}: {rejectedCount:N0} product lines rejected (skipped). First:[/]");
                foreach (var r in rejected)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]  {r}[/]");
                }
            }
        }

        if (pins.Count == 0)
        {
            throw new CliInputException($"--products: no valid product in {string.Join(", ", paths)}.");
        }

        return pins;
    }

    /// <summary>Sends the pins through Ingestion.UpsertPins (validate, embed, publish), two batches in flight.</summary>
    private static async Task IngestAsync(InProcessSearchHost host, List<Pin> pins, ProgressTask progress, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(pins.Chunk(IngestBatch), new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken },
            async (batch, ct) =>
            {
                var request = new UpsertPinsRequest();
                request.Pins.Add(batch);
                var response = await host.Ingestion.UpsertPinsAsync(request, cancellationToken: ct);
                progress.Increment(response.Accepted);
            });
    }

    /// <summary>Polls the vector store until every pin is stored; fails when the count stops moving for a minute.</summary>
    private static async Task WaitSearchableAsync(InProcessSearchHost host, int expected, ProgressTask progress, CancellationToken cancellationToken)
    {
        var last = -1L;
        var lastMove = Stopwatch.StartNew();
        while (true)
        {
            var info = await host.Vector.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = InProcessSearchHost.Tenant }, cancellationToken: cancellationToken);
            progress.Value = Math.Min(info.Count, expected);
            if (info.Count >= expected)
            {
                return;
            }

            if (info.Count != last)
            {
                last = info.Count;
                lastMove.Restart();
            }
            else if (lastMove.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException($"Only {info.Count:N0} of {expected:N0} pins became searchable; the store stopped growing.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<(List<RunLine> Lines, string? Version)> SearchAsync(
        InProcessSearchHost host, RunQuery query, int top, ConcurrentBag<string> failed, CancellationToken cancellationToken)
    {
        var lines = new List<RunLine>(top);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var token = "";
        string? version = null;
        try
        {
            // One page holds the whole list (MaxPageSize is raised to --top); the loop follows page tokens anyway.
            while (lines.Count < top)
            {
                var response = await host.Ranking.SearchAsync(
                    new RankingSearchRequest { Query = query.Query, PageSize = top - lines.Count, PageToken = token },
                    cancellationToken: cancellationToken);
                version ??= response.ModelVersion;
                foreach (var result in response.Results)
                {
                    if (lines.Count < top && seen.Add(result.Pin.Id))
                    {
                        lines.Add(new RunLine(query.QueryId, result.Pin.Id, lines.Count + 1, Math.Round(result.Score, 6)));
                    }
                }

                if (response.Results.Count == 0 || string.IsNullOrEmpty(response.NextPageToken))
                {
                    break;
                }

                token = response.NextPageToken;
            }
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
        {
            // The query itself is refused (e.g. too long): it gets no results, which the metrics count as a miss.
            failed.Add($"query {query.QueryId} '{query.Query}': {ex.StatusCode} {ex.Status.Detail}");
        }

        return (lines, version);
    }
}

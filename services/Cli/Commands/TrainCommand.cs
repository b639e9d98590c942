using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Recommender.Cli.Evaluation;
using Recommender.Cli.Training;
using Recommender.Embeddings.Model;
using Recommender.Embeddings.Training;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.QueryLog;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>train --products F1[,F2] --judgments J1[,J2] --out DIR</c>: trains the embedder (DIR/embedder), retrieves each
/// judged query's candidates through the same hybrid store, intent parser and feature extractor the service uses,
/// trains the LambdaRank ranker on the train split (early stopping on val) into DIR/ranker, and writes
/// DIR/manifest.json with the val metrics.
/// </summary>
public static class TrainCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var products = new Option<string>("--products") { Description = "Product JSONL file(s), comma-separated (optionally .gz).", Required = true };
        var judgments = new Option<string>("--judgments") { Description = "Judgment file(s), comma-separated: split=train fits, split=val stops early and reports.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for manifest.json, embedder/ and ranker/.", Required = true };
        var candidates = new Option<int>("--candidates") { Description = "Candidates retrieved and re-ranked per query (as Ranking:CandidateCount).", DefaultValueFactory = _ => 200 };
        var trees = new Option<int>("--trees") { Description = "Most boosting rounds (early stopping on val keeps the best prefix).", DefaultValueFactory = _ => 150 };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree.", DefaultValueFactory = _ => 31 };
        var learningRate = new Option<double>("--learning-rate") { Description = "Boosting learning rate.", DefaultValueFactory = _ => 0.12 };
        var minLeaf = new Option<int>("--min-leaf") { Description = "Fewest rows per leaf.", DefaultValueFactory = _ => 20 };
        var embedderEpochs = new Option<int>("--embedder-epochs") { Description = "Embedder training epochs.", DefaultValueFactory = _ => new TrainerOptions().Epochs };
        var embedder = new Option<string?>("--embedder") { Description = "Use (copy) this trained embedder instead of training one." };
        var rankerShare = new Option<double>("--ranker-share") { Description = "Share of the train queries held out of the embedder's training and used to fit the ranker (the embedder would otherwise have seen them: leaked semantic scores).", DefaultValueFactory = _ => 0.5 };
        var folds = new Option<int>("--folds") { Description = "Cross-fitting: the train queries are split into this many folds; each fold's candidates and features come from an embedder trained on the other folds, so the ranker fits on all train queries with honest semantic scores, and the served embedder learns from all of them. 1 = one embedder on the train queries outside --ranker-share.", DefaultValueFactory = _ => 2 };
        var trainDepth = new Option<int>("--train-depth") { Description = "Fit on each train query's first N candidates (retrieval order; features are computed over all of them).", DefaultValueFactory = _ => 200 };
        var queryLogFolds = new Option<int>("--query-log-folds") { Description = "Query-log expansion (the train queries that found each product, shipped in DIR/ranker): a train query's query-log features come from the expansion built without its fold, one of this many (a stable hash of the query id). 0 = no query log.", DefaultValueFactory = _ => 5 };
        var spell = new Option<bool>("--spell-correction") { Description = "Correct misspelled query words against the catalog's words for retrieval and features, as the service does (Ranking:SpellCorrection).", DefaultValueFactory = _ => true };
        var cache = new Option<string?>("--features-cache") { Description = "Tuning aid: reuse (or write) the retrieved candidates and features in this file; it holds labels, keep it under artifacts/." };
        var command = new Command("train", "Train everything that needs training (embedder, ranker) from product and judgment files.")
        {
            products, judgments, output, candidates, trees, leaves, learningRate, minLeaf, embedderEpochs, embedder, cache, trainDepth, rankerShare, folds, queryLogFolds, spell,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.Guard(async () =>
        {
            try
            {
                return await RunAsync(parse, cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or ArgumentException)
            {
                throw new CliInputException(ex.Message);
            }
        }));
        return command;

        async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var outDir = parse.GetValue(output)!;
            var productFiles = Split(parse.GetValue(products)!);
            var judgmentFiles = Split(parse.GetValue(judgments)!);
            var catalog = new List<CatalogProduct>();
            var sources = new List<TrainingSource>();
            foreach (var file in productFiles)
            {
                var read = CatalogFiles.ReadProducts(file);
                catalog.AddRange(read);
                sources.Add(new TrainingSource(RankerTraining.Dataset(file) + "/" + Path.GetFileName(file), read.Count));
            }

            var sets = judgmentFiles.Select(JudgmentSources.Read).ToList();
            var share = parse.GetValue(rankerShare);
            var foldCount = parse.GetValue(folds);
            if (foldCount < 1 || foldCount > 10)
            {
                throw new ArgumentException($"--folds must be between 1 and 10 (got {foldCount}).");
            }

            var existingEmbedder = parse.GetValue(embedder);
            var trainJudgments = sets.SelectMany(s => s.Judgments).Where(j => j.Split == "train").ToList();
            var plan = TrainingPlan.Create(RankerTraining.Queries(sets), trainJudgments, existingEmbedder is null ? foldCount : 1, share);
            var queries = plan.SelectMany(p => p.Queries).ToList();
            AnsiConsole.MarkupLine($"[bold]{catalog.Count:N0}[/] products, [bold]{queries.Count(q => q.Split == "train"):N0}[/] train and " +
                $"[bold]{queries.Count(q => q.Split == "val"):N0}[/] val queries from {judgmentFiles.Count} judgment file(s); " +
                (plan.Count > 1
                    ? $"{plan.Count - 1} folds: each fold's features from an embedder that did not see its queries, the served embedder from all of them."
                    : $"ranker share of train {share:P0}, the embedder learns from the rest."));

            var embedderDir = Path.Combine(outDir, "embedder");
            var rankerDir = Path.Combine(outDir, "ranker");
            var rows = new ConcurrentBag<QueryCandidates>();
            TreeEnsembleRanker? ranker = null;
            RankerManifest? rankerManifest = null;
            QueryLogExpansion? queryLog = null;
            double embedderSeconds = 0, retrievalSeconds = 0, rankerSeconds = 0;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var epochs = Math.Max(1, parse.GetValue(embedderEpochs));
                    var embedTask = ctx.AddTask("embedder", maxValue: epochs * plan.Count);
                    var indexTask = ctx.AddTask("index products", maxValue: catalog.Count * plan.Count);
                    var retrieveTask = ctx.AddTask("candidates + features", maxValue: queries.Count);
                    var rankTask = ctx.AddTask("LambdaRank", maxValue: 1);
                    rankTask.IsIndeterminate = true;

                    var limit = parse.GetValue(candidates);
                    var cacheFile = parse.GetValue(cache);
                    var cached = cacheFile is not null && File.Exists(cacheFile) ? RankerTraining.LoadCache(cacheFile) : null;
                    foreach (var pass in plan)
                    {
                        // The served embedder (the last pass) is always trained; fold embedders only when features are
                        // not taken from the cache.
                        var dir = pass.Served ? embedderDir : Path.Combine(Path.GetTempPath(), "recommender-train-" + Guid.NewGuid().ToString("N"));
                        try
                        {
                            var t0 = Stopwatch.GetTimestamp();
                            if (existingEmbedder is not null)
                            {
                                CopyDirectory(existingEmbedder, dir);
                                embedTask.Increment(epochs);
                            }
                            else if (pass.Served || cached is null)
                            {
                                TrainEmbedderCommand.Train(catalog, sources, pass.EmbedderJudgments, dir,
                                    new EmbedderSettings { Trainer = new TrainerOptions { Epochs = epochs } }, _ => embedTask.Increment(1), _ => { }, cancellationToken);
                            }
                            else
                            {
                                embedTask.Increment(epochs);
                            }

                            embedderSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                            t0 = Stopwatch.GetTimestamp();
                            if (cached is not null)
                            {
                                indexTask.Increment(catalog.Count);
                                continue;
                            }

                            using var search = await CandidateSearch.BuildAsync(catalog, ModelArtifact.Load(dir), n => indexTask.Increment(n), parse.GetValue(spell), cancellationToken);
                            await Parallel.ForEachAsync(pass.Queries, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                                async (query, ct) =>
                                {
                                    var found = await search.CandidatesAsync(query.Query, limit, ct);
                                    rows.Add(RankerTraining.ToRows(query, found));
                                    retrieveTask.Increment(1);
                                });
                            retrievalSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                        }
                        finally
                        {
                            if (!pass.Served && Directory.Exists(dir))
                            {
                                Directory.Delete(dir, recursive: true);
                            }
                        }
                    }

                    if (cached is not null)
                    {
                        cached.ForEach(rows.Add);
                        retrieveTask.Value = retrieveTask.MaxValue;
                    }
                    else if (cacheFile is not null)
                    {
                        RankerTraining.SaveCache(cacheFile, rows.ToList());
                    }

                    embedTask.Value = embedTask.MaxValue;
                    indexTask.Value = indexTask.MaxValue;
                    var t1 = Stopwatch.GetTimestamp();
                    var logFolds = parse.GetValue(queryLogFolds);
                    if (logFolds < 0 || logFolds > 20)
                    {
                        throw new ArgumentException($"--query-log-folds must be between 0 and 20 (got {logFolds}).");
                    }

                    if (logFolds > 0)
                    {
                        queryLog = QueryLogTraining.Served(sets);
                        var pins = new Dictionary<string, Recommender.Contracts.PinData>(StringComparer.Ordinal);
                        foreach (var product in catalog)
                        {
                            pins.TryAdd(product.Id, CandidateSearch.ToPin(product));
                        }

                        var parser = Recommender.Ranking.Intent.IntentModel.Build(pins.Values.ToList(), new Recommender.Ranking.Intent.IntentOptions().CategoryThreshold).Parser;
                        var text = RankerTraining.Queries(sets).ToDictionary(q => QueryLogTraining.Key(q.Dataset, q.QueryId), q => q.Query, StringComparer.Ordinal);
                        QueryLogTraining.Fill(rows.ToList(), text, pins, parser, queryLog, QueryLogTraining.Folds(sets, logFolds), parse.GetValue(spell));
                        AnsiConsole.MarkupLine($"Query log: {queryLog.Queries:N0} (product, train query) pairs over {queryLog.Pins:N0} products; " +
                            $"train features cross-fitted over {logFolds} folds, in {Stopwatch.GetElapsedTime(t1).TotalSeconds:F0} s.");
                    }

                    var ordered = rows.OrderBy(r => r.Dataset, StringComparer.Ordinal).ThenBy(r => r.QueryId, StringComparer.Ordinal).ToList();
                    AnsiConsole.MarkupLine($"Candidates and features of {ordered.Count:N0} queries in {retrievalSeconds:F0} s.");
                    var depth = parse.GetValue(trainDepth);
                    var train = RankerTraining.Groups(ordered.Select(q => q.Split != "train" || q.ProductIds.Length <= depth ? q : q with
                    {
                        ProductIds = q.ProductIds[..depth],
                        Features = q.Features[..depth],
                        Grades = q.Grades[..depth],
                    }), "train");
                    var val = RankerTraining.Groups(ordered, "val");
                    var options = new LambdaRankOptions
                    {
                        Trees = parse.GetValue(trees),
                        Leaves = parse.GetValue(leaves),
                        LearningRate = parse.GetValue(learningRate),
                        MinRowsPerLeaf = parse.GetValue(minLeaf),
                    };
                    var ml = new MLContext(seed: options.Seed);
                    var parameters = LambdaRankTrainer.Train(ml, train, RankingFeature.Count, options).Model;
                    var coverRows = train.Where((_, i) => i % 10 == 0).SelectMany(g => g.Features);
                    var full = LambdaRankTrainer.Export(parameters, coverRows);
                    AnsiConsole.MarkupLine($"LambdaRank: {full.Trees.Count} trees on {train.Sum(g => g.Grades.Length):N0} rows of {train.Count:N0} queries in {Stopwatch.GetElapsedTime(t1).TotalSeconds:F0} s.");
                    var (bestTrees, bestNdcg) = RankerTraining.BestPrefix(full, ordered, "val", 10);
                    var ensemble = full.Take(Math.Max(1, bestTrees));
                    AnsiConsole.MarkupLine($"Early stopping on val: {bestTrees} of {full.Trees.Count} trees (val NDCG@10 {bestNdcg:F4}).");
                    rankerSeconds = Stopwatch.GetElapsedTime(t1).TotalSeconds;
                    var metrics = RankerTraining.Evaluate(ordered, "val", "ltr", RankerTraining.Scorer(new TreeEnsembleRanker("eval", ensemble)));
                    var logParameters = new Dictionary<string, string>();
                    if (queryLog is not null)
                    {
                        var logFile = queryLog.Save(rankerDir);
                        logParameters[QueryLogExpansion.ParameterFile] = logFile;
                        logParameters[QueryLogExpansion.ParameterSha256] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(rankerDir, logFile))));
                        logParameters["query_log_folds"] = logFolds.ToString(CultureInfo.InvariantCulture);
                    }

                    rankerManifest = RankerArtifact.Save(rankerDir, ensemble, new RankerManifest
                    {
                        Version = "",
                        ModelFile = "",
                        Sha256 = "",
                        FeatureNames = RankingFeature.Names,
                        TrainingFiles = judgmentFiles.Select(Path.GetFullPath).ToList(),
                        Metrics = metrics.SelectMany(m => new[]
                        {
                            KeyValuePair.Create($"{m.Dataset}.val.ndcg@10", Math.Round(m.Ndcg10, 4)),
                            KeyValuePair.Create($"{m.Dataset}.val.recall@100", Math.Round(m.Recall100, 4)),
                        }).ToDictionary(),
                        Parameters = new Dictionary<string, string>
                        {
                            ["trees"] = options.Trees.ToString(CultureInfo.InvariantCulture),
                            ["leaves"] = options.Leaves.ToString(CultureInfo.InvariantCulture),
                            ["learning_rate"] = options.LearningRate.ToString(CultureInfo.InvariantCulture),
                            ["min_leaf"] = options.MinRowsPerLeaf.ToString(CultureInfo.InvariantCulture),
                            ["gains"] = string.Join(",", options.Gains),
                            ["candidates"] = limit.ToString(CultureInfo.InvariantCulture),
                            ["ranker_share"] = plan.Count > 1 ? "1" : share.ToString(CultureInfo.InvariantCulture),
                            ["folds"] = (plan.Count > 1 ? plan.Count - 1 : 1).ToString(CultureInfo.InvariantCulture),
                            ["train_groups"] = train.Count.ToString(CultureInfo.InvariantCulture),
                            ["val_groups"] = val.Count.ToString(CultureInfo.InvariantCulture),
                        }.Concat(logParameters).ToDictionary(),
                    });
                    ranker = RankerArtifact.Load(rankerDir);
                    rankTask.IsIndeterminate = false;
                    rankTask.Value = 1;
                });

            var all = rows.ToList();
            var results = new List<SplitMetrics>();
            results.AddRange(RankerTraining.Evaluate(all, "val", "hybrid retrieval (RRF order)", null));
            results.AddRange(RankerTraining.Evaluate(all, "val", "default linear ranker", RankerTraining.Scorer(new LinearRanker())));
            results.AddRange(RankerTraining.Evaluate(all, "val", $"LambdaRank {ranker!.Version}", RankerTraining.Scorer(ranker)));
            var table = new Table().AddColumns("dataset", "method", "val queries", "NDCG@10", "recall@100");
            foreach (var r in results.OrderBy(r => r.Dataset, StringComparer.Ordinal))
            {
                table.AddRow(r.Dataset, Markup.Escape(r.Method), r.Queries.ToString(CultureInfo.InvariantCulture),
                    r.Ndcg10.ToString("F4", CultureInfo.InvariantCulture), r.Recall100.ToString("F4", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            var total = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var manifest = new
            {
                Created = DateTimeOffset.UtcNow,
                Products = sources.Select(s => new { File = s.Name, s.Products }),
                Judgments = judgmentFiles.Select(Path.GetFullPath),
                Embedder = new { Path = "embedder", ModelArtifact.Load(embedderDir).Version },
                Ranker = new { Path = "ranker", rankerManifest!.Version, rankerManifest.Trees },
                QueryLog = queryLog is null ? null : new { Path = "ranker/" + rankerManifest.Parameters[QueryLogExpansion.ParameterFile], queryLog.Version, queryLog.Pins, queryLog.Queries },
                ValMetrics = results.Select(r => new { r.Dataset, r.Method, r.Queries, Ndcg10 = Math.Round(r.Ndcg10, 4), Recall100 = Math.Round(r.Recall100, 4) }),
                Seconds = new
                {
                    Embedder = Math.Round(embedderSeconds, 1),
                    Candidates = Math.Round(retrievalSeconds, 1),
                    Ranker = Math.Round(rankerSeconds, 1),
                    Total = Math.Round(total, 1),
                },
            };
            await File.WriteAllTextAsync(Path.Combine(outDir, "manifest.json"), JsonSerializer.Serialize(manifest, Json), cancellationToken);
            AnsiConsole.MarkupLine($"Wrote {outDir}: embedder {embedderSeconds:F0} s, candidates {retrievalSeconds:F0} s, ranker [bold]{rankerManifest.Version}[/] " +
                $"({rankerManifest.Trees} trees) {rankerSeconds:F0} s; total [bold]{total:F0} s[/].");
            return 0;
        }
    }

    private static List<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}

using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Recommender.Cli.Commands;
using Recommender.Cli.Evaluation;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Pipeline.QueryLog;

namespace Recommender.Cli.Tests;

/// <summary>The real train command over the committed Icecat sample, from explicit judgments and from a Ranking
/// service's engagement log, and the trained folder served by rank.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = CliRun.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Train_SampleJudgments_WritesModelsThatRankServes()
    {
        var judgments = Path.Combine(_dir, "judgments.jsonl");
        await File.WriteAllLinesAsync(judgments, Queries().SelectMany((q, i) => new[]
        {
            Line(q.Id, q.Query, q.Relevant, 3, i % 4 == 0 ? "val" : "train"),
            Line(q.Id, q.Query, q.Other, 1, i % 4 == 0 ? "val" : "train"),
        }), TestContext.Current.CancellationToken);
        var models = Path.Combine(_dir, "models");

        var (code, output) = await CliRun.InvokeAsync(
            "train", "--products", CliRun.SampleProducts, "--judgments", judgments, "--out", models, "--embedder-epochs", "1", "--trees", "40");

        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(models, "manifest.json")), output);
        using var ranker = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(models, "ranker", "manifest.json"), TestContext.Current.CancellationToken));
        var version = ranker.RootElement.GetProperty("version").GetString()!;
        Assert.StartsWith("lgbm-", version, StringComparison.Ordinal);
        Assert.Equal("2", ranker.RootElement.GetProperty("parameters").GetProperty("folds").GetString()); // cross-fitted by default

        // The query-log expansion ships next to the trees, named and hashed by the ranker's manifest, and holds the
        // train queries (never val) that found their product.
        var parameters = ranker.RootElement.GetProperty("parameters");
        var logFile = parameters.GetProperty(QueryLogExpansion.ParameterFile).GetString()!;
        Assert.True(File.Exists(Path.Combine(models, "ranker", logFile)), logFile);
        var queryLog = QueryLogExpansion.LoadForRanker(Path.Combine(models, "ranker"));
        var split = Queries().Select((q, i) => (q, Val: i % 4 == 0)).ToList();
        Assert.All(split.Where(s => !s.Val), s => Assert.Contains(string.Join(' ', Recommender.Embeddings.TextTokenizer.Tokenize(s.q.Query)), queryLog.QueriesOf(s.q.Relevant)));
        Assert.All(split.Where(s => s.Val), s => Assert.DoesNotContain(string.Join(' ', Recommender.Embeddings.TextTokenizer.Tokenize(s.q.Query)), queryLog.QueriesOf(s.q.Relevant)));
        Assert.Empty(queryLog.QueriesOf(Queries()[1].Other)); // label 1: did not find it
        using var top = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(models, "manifest.json"), TestContext.Current.CancellationToken));
        Assert.Equal(queryLog.Version, top.RootElement.GetProperty("query_log").GetProperty("version").GetString());

        var run = Path.Combine(_dir, "run.jsonl");
        var (rankCode, rankOutput) = await CliRun.InvokeAsync(
            "rank", "--products", CliRun.SampleProducts, "--queries", judgments, "--models", models, "--top", "10", "--out", run);
        Assert.True(rankCode == 0, rankOutput);
        Assert.Equal(version, RunFiles.ReadMetadata(run)!.ModelVersion);
        var firsts = RunFiles.ReadRun(run).Where(l => l.Rank == 1).ToDictionary(l => l.QueryId, l => l.ProductId);
        var hits = Queries().Count(q => firsts.GetValueOrDefault(q.Id) == q.Relevant);
        Assert.True(hits >= Queries().Count * 0.6, $"the named product ranked first for only {hits} of {Queries().Count} queries");
    }

    [Fact]
    public async Task Train_EngagementLogFolder_TrainsFromImplicitGrades()
    {
        var log = Path.Combine(_dir, "engagement");
        var when = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        await using (var writer = new EngagementLog(log))
        {
            var n = 0;
            foreach (var q in Queries())
            {
                writer.AppendSearch(new EngagementRecord { Type = EngagementRecord.SearchType, Tenant = "shop", QueryId = q.Id, Query = q.Query, Timestamp = when });
                foreach (var (pin, kind) in new[] { (q.Relevant, "purchase"), (q.Other, "impression") })
                {
                    await writer.AppendAsync(new EngagementRecord
                    {
                        Type = EngagementRecord.EngagementType, Tenant = "shop", QueryId = q.Id, PinId = pin, Kind = kind,
                        Timestamp = when, IdempotencyKey = $"k{n++}",
                    });
                }
            }
        }

        var models = Path.Combine(_dir, "models");
        var (code, output) = await CliRun.InvokeAsync(
            "train", "--products", CliRun.SampleProducts, "--judgments", log, "--out", models, "--embedder-epochs", "1", "--trees", "40");

        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(models, "ranker", "manifest.json")), output);
    }

    [Fact]
    public async Task Train_MalformedJudgmentsLine_FailsNamingFileAndLine()
    {
        var judgments = Path.Combine(_dir, "judgments.jsonl");
        await File.WriteAllLinesAsync(judgments,
            [Line("q1", "hp toner", "icecat-1399", 3, "train"), "{\"query_id\": \"q2\", \"query\": \"canon\""], TestContext.Current.CancellationToken);

        var (code, output) = await CliRun.InvokeAsync("train", "--products", CliRun.SampleProducts, "--judgments", judgments, "--out", Path.Combine(_dir, "m"));

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"{judgments} line 2", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_MissingProductsFile_FailsNamingTheFile()
    {
        var missing = Path.Combine(_dir, "nope.jsonl");
        var (code, output) = await CliRun.InvokeAsync("train", "--products", missing, "--judgments", missing, "--out", Path.Combine(_dir, "m"));

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains(missing, output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    /// <summary>Queries that name one sample product by brand and model words; "other" is another product of the brand.</summary>
    private static List<(string Id, string Query, string Relevant, string Other)> Queries()
    {
        var products = new List<(string Id, string Title, string Brand)>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(CliRun.SampleProducts), CompressionMode.Decompress)))
        {
            while (reader.ReadLine() is { } line && products.Count < 3_000)
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                var brand = r.TryGetProperty("brand", out var b) ? b.GetString() ?? "" : "";
                products.Add((r.GetProperty("id").GetString()!, r.GetProperty("title").GetString()!, brand));
            }
        }

        return products
            .Where(p => p.Brand.Length > 0 && p.Title.Split(' ').Length >= 4)
            .GroupBy(p => p.Brand)
            .Where(g => g.Count() >= 2)
            .Take(40)
            .Select((g, i) =>
            {
                var relevant = g.First();
                var words = string.Join(' ', relevant.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4)).ToLowerInvariant();
                return ($"q{i.ToString(CultureInfo.InvariantCulture)}", words, relevant.Id, g.Last().Id);
            })
            .ToList();
    }

    private static string Line(string queryId, string query, string productId, int label, string split) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["query_id"] = queryId, ["query"] = query, ["product_id"] = productId, ["label"] = label, ["split"] = split,
        });
}

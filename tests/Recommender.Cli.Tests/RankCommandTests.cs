using System.Text.Json;
using System.Xml.Linq;
using Recommender.Cli.Commands;
using Recommender.Cli.Evaluation;

namespace Recommender.Cli.Tests;

/// <summary>The real rank command over the committed 3,000-product Icecat sample: a fresh in-process instance, the
/// real ingest path and Ranking.Search over gRPC.</summary>
public sealed class RankCommandTests : IDisposable
{
    private readonly string _dir = CliRun.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Rank_IcecatSample_WritesTopKPerQueryWithTheRelevantProductNearTheTop()
    {
        // Labels are deliberately wrong-looking (1 for the target) on q3: rank must not read them.
        var queries = Write("queries.jsonl",
            """{"query_id":"q1","query":"canon nb-6l battery","product_id":"icecat-1456527","label":3,"split":"val"}""",
            """{"query_id":"q2","query":"intel x25-m 80 gb ssd","product_id":"icecat-1713612","label":3,"split":"val"}""",
            """{"query_id":"q2","query":"intel x25-m 80 gb ssd","product_id":"icecat-1399","label":1,"split":"val"}""",
            """{"query_id":"q3","query":"hp 230w docking station","product_id":"icecat-3867032","label":1,"split":"train"}""");
        var run = Path.Combine(_dir, "run.jsonl");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", CliRun.SampleProducts, "--queries", queries, "--models", Path.Combine(_dir, "models"), "--top", "100", "--out", run);

        Assert.True(code == 0, output);
        Assert.Contains("using the shipped default embedder", output, StringComparison.Ordinal);
        var lines = RunFiles.ReadRun(run);
        var byQuery = lines.GroupBy(l => l.QueryId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["q1", "q2", "q3"], byQuery.Keys.Order());
        foreach (var (id, list) in byQuery)
        {
            Assert.Equal(Enumerable.Range(1, 100), list.Select(l => l.Rank));
            Assert.Equal(100, list.Select(l => l.ProductId).Distinct().Count());
            // rank is the service's placement; score its relevance score, which diversity may place out of order.
            Assert.All(list, l => Assert.True(double.IsFinite(l.Score), $"{id}: score {l.Score}"));
        }

        Assert.InRange(Rank(byQuery["q1"], "icecat-1456527"), 1, 3);
        Assert.InRange(Rank(byQuery["q2"], "icecat-1713612"), 1, 3);
        Assert.InRange(Rank(byQuery["q3"], "icecat-3867032"), 1, 3);

        var meta = RunFiles.ReadMetadata(run)!;
        Assert.Equal([Path.GetFullPath(CliRun.SampleProducts)], meta.Products);
        Assert.Equal(3_000, meta.ProductCount);
        Assert.Equal(3, meta.QueryCount);
        Assert.Equal(0, meta.FailedQueries);

        // The documented evaluate form needs nothing more: the products for BM25 come from the sidecar.
        var (evalCode, evalOutput) = await CliRun.InvokeAsync("evaluate", "--run", run, "--judgments", queries, "--split", "val");
        Assert.True(evalCode == 0, evalOutput);
        Assert.Contains("BM25 baseline over 3,000 products", evalOutput, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "run.eval.json"), TestContext.Current.CancellationToken));
        Assert.Equal(2, json.RootElement.GetProperty("queries").GetInt32());
        Assert.Equal(1.0, json.RootElement.GetProperty("recall100").GetDouble());
        Assert.Equal("svg", XDocument.Load(Path.Combine(_dir, "run.eval.svg")).Root!.Name.LocalName);
    }

    [Fact]
    public async Task Rank_ModelsFolderWithEmbedder_SearchesWithThatEmbedder()
    {
        // A small real embedder, trained by the CLI itself on the sample, in the layout train --out writes.
        var models = Path.Combine(_dir, "models");
        var (trainCode, trainOutput) = await CliRun.InvokeAsync(
            "train-embedder", "--products", CliRun.SampleProducts, "--out", Path.Combine(models, "embedder"),
            "--buckets-log2", "12", "--dims", "32", "--epochs", "1");
        Assert.True(trainCode == 0, trainOutput);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(models, "embedder", "manifest.json"), TestContext.Current.CancellationToken));
        var version = manifest.RootElement.GetProperty("version").GetString()!;
        var queries = Write("queries.jsonl", """{"query_id":"q1","query":"canon nb-6l battery","product_id":"icecat-1456527","label":3,"split":"val"}""");
        var run = Path.Combine(_dir, "run.jsonl");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", CliRun.SampleProducts, "--queries", queries, "--models", models, "--top", "10", "--out", run);

        Assert.True(code == 0, output);
        Assert.DoesNotContain("No embedder at", output, StringComparison.Ordinal);
        Assert.StartsWith(version + " (", RunFiles.ReadMetadata(run)!.Embedder, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, 10), RunFiles.ReadRun(run).Select(l => l.Rank));
    }

    [Fact]
    public async Task Rank_MissingProductsFile_FailsNamingTheFile()
    {
        var queries = Write("queries.jsonl", """{"query_id":"q1","query":"canon battery","product_id":"x","label":3,"split":"val"}""");
        var missing = Path.Combine(_dir, "missing-products.jsonl.gz");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", $"{CliRun.SampleProducts},{missing}", "--queries", queries, "--models", _dir, "--top", "10", "--out", Path.Combine(_dir, "run.jsonl"));

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"--products: no file at {missing}", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "run.jsonl")));
    }

    [Fact]
    public async Task Rank_QueriesLineWithoutQuery_FailsNamingFileAndLine()
    {
        var queries = Write("queries.jsonl",
            """{"query_id":"q1","query":"canon battery","product_id":"x","label":3,"split":"val"}""",
            "",
            """{"query_id":"q2","product_id":"x","label":3,"split":"val"}""");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", CliRun.SampleProducts, "--queries", queries, "--models", _dir, "--top", "10", "--out", Path.Combine(_dir, "run.jsonl"));

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"{queries} line 3: \"query\" is missing or empty", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rank_TopOutOfRange_FailsWithTheLimit()
    {
        var queries = Write("queries.jsonl", """{"query_id":"q1","query":"canon battery","product_id":"x","label":3,"split":"val"}""");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", CliRun.SampleProducts, "--queries", queries, "--models", _dir, "--top", "5000", "--out", Path.Combine(_dir, "run.jsonl"));

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"--top must be between 1 and {RankCommand.MaxTop}", output, StringComparison.Ordinal);
    }

    private static int Rank(List<RunLine> lines, string productId) =>
        lines.FirstOrDefault(l => l.ProductId == productId)?.Rank ?? int.MaxValue;

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}

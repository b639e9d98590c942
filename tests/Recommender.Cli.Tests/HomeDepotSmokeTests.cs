using System.IO.Compression;
using System.Text.Json;
using Recommender.Cli.Commands;

namespace Recommender.Cli.Tests;

/// <summary>rank + evaluate on a slice of the Home Depot data in ../shared/data (never committed): 40 val queries, their
/// judged products and 3,000 other products as distractors.</summary>
public sealed class HomeDepotSmokeTests : IDisposable
{
    private readonly string _dir = CliRun.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RankThenEvaluate_HomeDepotValSlice_ProducesMetricsAgainstBm25()
    {
        var products = CliRun.SharedData("homedepot", "products.jsonl.gz");
        var judgments = CliRun.SharedData("homedepot", "judgments.jsonl.gz");
        if (!File.Exists(products) || !File.Exists(judgments))
        {
            Assert.Skip($"Home Depot data not found at {Path.GetDirectoryName(products)} (../shared/data is not in this checkout; set RECOMMENDER_SHARED_DATA).");
        }

        var judgmentLines = ReadLines(judgments).ToList();
        var valQueries = judgmentLines
            .Select(l => (Line: l, Doc: JsonDocument.Parse(l).RootElement))
            .Where(x => x.Doc.GetProperty("split").GetString() == "val")
            .GroupBy(x => x.Doc.GetProperty("query_id").GetString()!)
            .Take(40)
            .ToList();
        var judged = valQueries.SelectMany(g => g.Select(x => x.Doc.GetProperty("product_id").GetString()!)).ToHashSet();
        var productLines = ReadLines(products)
            .Select((l, i) => (Line: l, Index: i, Id: JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!))
            .Where(x => x.Index < 3_000 || judged.Contains(x.Id))
            .Select(x => x.Line)
            .ToList();
        var sliceProducts = Path.Combine(_dir, "products.jsonl");
        var sliceJudgments = Path.Combine(_dir, "judgments.jsonl");
        await File.WriteAllLinesAsync(sliceProducts, productLines, TestContext.Current.CancellationToken);
        await File.WriteAllLinesAsync(sliceJudgments, valQueries.SelectMany(g => g.Select(x => x.Line)), TestContext.Current.CancellationToken);
        var run = Path.Combine(_dir, "run.jsonl");

        var (code, output) = await CliRun.InvokeAsync(
            "rank", "--products", sliceProducts, "--queries", sliceJudgments, "--models", Path.Combine(_dir, "models"), "--top", "100", "--out", run);
        Assert.True(code == 0, output);

        var result = await EvaluateCommand.RunAsync(new EvaluateCommand.Arguments(run, sliceJudgments, "val", null), TestContext.Current.CancellationToken);

        Assert.Equal(40, result.Summary.Queries);
        Assert.Equal(0, result.Summary.MissingFromRun);
        Assert.InRange(result.Summary.Ndcg10, 0.2, 1.0);
        Assert.InRange(result.Summary.BaselineNdcg10, 0.2, 1.0);
        Assert.InRange(result.Summary.Recall100, 0.5, 1.0);
        Assert.True(File.Exists(result.ChartPath));
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }
}

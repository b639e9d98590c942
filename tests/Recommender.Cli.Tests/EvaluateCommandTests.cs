using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Recommender.Cli.Commands;

namespace Recommender.Cli.Tests;

public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _dir = CliRun.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Evaluate_HandComputedExample_MatchesHandComputedMetricsAndWritesChart()
    {
        // q1 (val): a=3 (gain 2), b=2 (gain 1), c=1 (gain 0); the run ranks c, a, x, b.
        //   DCG = 2/log2(3) + 1/log2(5); ideal = 2 + 1/log2(3); recall@100 = 2/2.
        // q2 (val): d=3, e=1; the run returns only e: NDCG 0, recall 0/1.
        // q3 (train): left out by --split val. q4 (val): all labels 1, so neither metric is defined for it.
        var judgments = Write("judgments.jsonl",
            """{"query_id":"q1","query":"red shirt","product_id":"a","label":3,"split":"val"}""",
            """{"query_id":"q1","query":"red shirt","product_id":"b","label":2,"split":"val"}""",
            """{"query_id":"q1","query":"red shirt","product_id":"c","label":1,"split":"val"}""",
            """{"query_id":"q2","query":"steel hammer","product_id":"d","label":3,"split":"val"}""",
            """{"query_id":"q2","query":"steel hammer","product_id":"e","label":1,"split":"val"}""",
            """{"query_id":"q3","query":"garden hose","product_id":"e","label":3,"split":"train"}""",
            """{"query_id":"q4","query":"blue jeans","product_id":"c","label":1,"split":"val"}""");
        var run = Write("run.jsonl",
            """{"query_id":"q1","product_id":"b","rank":4,"score":0.1}""",
            """{"query_id":"q1","product_id":"c","rank":1,"score":0.9}""",
            """{"query_id":"q1","product_id":"a","rank":2,"score":0.8}""",
            """{"query_id":"q1","product_id":"x","rank":3,"score":0.5}""",
            """{"query_id":"q2","product_id":"e","rank":1,"score":0.7}""",
            """{"query_id":"q4","product_id":"c","rank":1,"score":0.7}""");
        // BM25 ranks "red shirt" (shorter) above "red cotton shirt" for q1 and finds d alone for q2.
        var products = Write("products.jsonl",
            """{"id":"a","title":"red cotton shirt"}""",
            """{"id":"b","title":"red shirt"}""",
            """{"id":"c","title":"blue jeans"}""",
            """{"id":"d","title":"steel hammer"}""",
            """{"id":"e","title":"garden hose"}""",
            """{"id":"x","title":"wooden chair"}""");

        var (code, output) = await CliRun.InvokeAsync("evaluate", "--run", run, "--judgments", judgments, "--split", "val", "--products", products);

        Assert.Equal(0, code);
        var q1 = (2 / Math.Log2(3) + 1 / Math.Log2(5)) / (2 + 1 / Math.Log2(3));
        var bm25Q1 = (1 + 2 / Math.Log2(3)) / (2 + 1 / Math.Log2(3));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "run.eval.json"), TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("queries").GetInt32());
        Assert.Equal(2, root.GetProperty("ndcgQueries").GetInt32());
        Assert.Equal(2, root.GetProperty("recallQueries").GetInt32());
        Assert.Equal((q1 + 0) / 2, root.GetProperty("ndcg10").GetDouble(), 5);
        Assert.Equal(0.5, root.GetProperty("recall100").GetDouble(), 5);
        Assert.Equal((bm25Q1 + 1) / 2, root.GetProperty("bm25Ndcg10").GetDouble(), 5);
        Assert.Equal(1.0, root.GetProperty("bm25Recall100").GetDouble(), 5);
        Assert.Equal(q1 / 2 / ((bm25Q1 + 1) / 2), root.GetProperty("ndcgRatio").GetDouble(), 5);
        Assert.Contains("NDCG@10 run / BM25 = " + (q1 / 2 / ((bm25Q1 + 1) / 2)).ToString("F3", CultureInfo.InvariantCulture), output, StringComparison.Ordinal);
        Assert.Contains("Worst", output, StringComparison.Ordinal);

        var csv = await File.ReadAllLinesAsync(Path.Combine(_dir, "run.per-query.csv"), TestContext.Current.CancellationToken);
        Assert.Equal(4, csv.Length);
        Assert.Contains(csv, l => l.StartsWith("q1,red shirt,3,2,4," + q1.ToString("F6", CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.DoesNotContain(csv, l => l.StartsWith("q3,", StringComparison.Ordinal));

        var chart = XDocument.Load(Path.Combine(_dir, "run.eval.svg"));
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", chart.Root!.Name);
        Assert.True(chart.Descendants(svg + "rect").Count() > 4);
        Assert.Contains(chart.Descendants(svg + "text"), t => t.Value.Contains("0 better, 0 equal, 2 worse", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_dir, "run.eval.md")));
    }

    [Fact]
    public async Task Evaluate_NoSplitAndNoProducts_ScoresEveryQueryWithoutBaseline()
    {
        var judgments = Write("judgments.jsonl",
            """{"query_id":"q1","query":"red shirt","product_id":"a","label":3,"split":"val"}""",
            """{"query_id":"q3","query":"garden hose","product_id":"e","label":3,"split":"train"}""");
        var run = Write("run.jsonl",
            """{"query_id":"q1","product_id":"a","rank":1,"score":1}""",
            """{"query_id":"q3","product_id":"z","rank":1,"score":1}""",
            """{"query_id":"q3","product_id":"e","rank":2,"score":0.5}""");

        var result = await EvaluateCommand.RunAsync(new EvaluateCommand.Arguments(run, judgments, null, null), TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Summary.Queries);
        Assert.Equal((1 + 1 / Math.Log2(3)) / 2, result.Summary.Ndcg10, 6);
        Assert.True(double.IsNaN(result.Summary.BaselineNdcg10));
        Assert.True(File.Exists(result.ChartPath));
    }

    [Fact]
    public async Task Evaluate_MalformedJudgmentsLine_FailsNamingFileAndLine()
    {
        var judgments = Write("judgments.jsonl",
            """{"query_id":"q1","query":"red shirt","product_id":"a","label":3,"split":"val"}""",
            """{"query_id":"q1","query":"red shirt","product_id":"b","label":""",
            """{"query_id":"q1","query":"red shirt","product_id":"c","label":1,"split":"val"}""");
        var run = Write("run.jsonl", """{"query_id":"q1","product_id":"a","rank":1,"score":1}""");

        var (code, output) = await CliRun.InvokeAsync("evaluate", "--run", run, "--judgments", judgments);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"{judgments} line 2", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_LabelNotANumber_FailsNamingFileAndLine()
    {
        var judgments = Write("judgments.jsonl",
            """{"query_id":"q1","query":"red shirt","product_id":"a","label":"high","split":"val"}""");
        var run = Write("run.jsonl", """{"query_id":"q1","product_id":"a","rank":1,"score":1}""");

        var (code, output) = await CliRun.InvokeAsync("evaluate", "--run", run, "--judgments", judgments);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"{judgments} line 1: \"label\" must be a number", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_MissingRunFile_FailsNamingTheFile()
    {
        var judgments = Write("judgments.jsonl", """{"query_id":"q1","query":"red shirt","product_id":"a","label":3,"split":"val"}""");
        var missing = Path.Combine(_dir, "no-such-run.jsonl");

        var (code, output) = await CliRun.InvokeAsync("evaluate", "--run", missing, "--judgments", judgments);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains($"--run: no file at {missing}", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_SplitWithNoQueries_FailsNamingTheSplit()
    {
        var judgments = Write("judgments.jsonl", """{"query_id":"q1","query":"red shirt","product_id":"a","label":3,"split":"train"}""");
        var run = Write("run.jsonl", """{"query_id":"q1","product_id":"a","rank":1,"score":1}""");

        var (code, output) = await CliRun.InvokeAsync("evaluate", "--run", run, "--judgments", judgments, "--split", "val");

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains("no judged queries in split 'val'", output, StringComparison.Ordinal);
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}

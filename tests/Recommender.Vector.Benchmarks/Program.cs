using System.Diagnostics;
using BenchmarkDotNet.Jobs;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Vector;
using Recommender.Vector.Benchmarks;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;
using SparseVector = Recommender.Embeddings.SparseVector;

// Vector store benchmark (not a test): upsert throughput, search latency p50/p99 and QPS, recall@10 of dense search
// against an exact scan computed here, with and without filters.
//   dotnet run -c Release --project tests/Recommender.Vector.Benchmarks -- --pins 50000 --queries 1000
// Options: --pins N[,N...]  --dims 256  --queries 1000  --recall-queries 100  --concurrency 2  --disk-pins 50000
//          --limit 10  --out results.md  --exact (never use the int8 shortlist)  --micro (cost of each search step)
// `--sparse`, `--fuse`, `--dense` [BenchmarkDotNet args]: SparseBenchmarks (the sparse branch on the load catalog and
// query mix), FuseBenchmarks (the hybrid fusion alone, before and after SlotFusion), DenseBenchmarks (the dense branch
// on the load catalog and query mix), KernelBenchmarks (`--kernels`: each integer kernel the CPU has, at one dense
// search's sizes) under BenchmarkDotNet, in process, timed by the benchmark thread's CPU clock
// (steady on a shared machine). `--sparse-cpu`, `--fuse-cpu`, `--dense-cpu` [rounds]: the same in a plain loop
// (process CPU per query; a quick check, or a target for perf); `--dense-scan-cpu`: the dense branch with the index off;
// `--dense-float-cpu`: with Vector:Embedded:FloatRescore on. The dense loops also print how far the int8 estimates are
// from the float rescore.
var cpuLoops = new Dictionary<string, Action<int>>
{
    ["--sparse-cpu"] = SparseBenchmarks.RunCpu,
    ["--fuse-cpu"] = FuseBenchmarks.RunCpu,
    ["--dense-cpu"] = DenseBenchmarks.RunCpu,
    ["--dense-scan-cpu"] = DenseBenchmarks.RunScanCpu,
    ["--dense-float-cpu"] = DenseBenchmarks.RunFloatRescoreCpu,
};
foreach (var (flag, run) in cpuLoops)
{
    if (args.Contains(flag))
    {
        var at = Array.IndexOf(args, flag);
        run(at + 1 < args.Length && int.TryParse(args[at + 1], out var r) ? r : 20);
        return;
    }
}

var cpuClockBenchmarks = new Dictionary<string, Type>
{
    ["--sparse"] = typeof(SparseBenchmarks),
    ["--fuse"] = typeof(FuseBenchmarks),
    ["--dense"] = typeof(DenseBenchmarks),
    ["--kernels"] = typeof(KernelBenchmarks),
};
foreach (var (flag, type) in cpuClockBenchmarks)
{
    if (args.Contains(flag))
    {
        var job = Job.ShortRun.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance)
            .WithClock(Recommender.Ranking.Benchmarks.ThreadCpuBenchmarkClock.Instance).WithId("ShortRun-ThreadCpu");
        BenchmarkDotNet.Running.BenchmarkRunner.Run(type,
            BenchmarkDotNet.Configs.ManualConfig.Create(BenchmarkDotNet.Configs.DefaultConfig.Instance).AddJob(job)
                .AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min),
            args.Where(a => a != flag).ToArray());
        return;
    }
}

if (args.Contains("--micro"))
{
    Micro.Run(BenchOptions.Parse(args).Pins[0], BenchOptions.Parse(args).Dimensions);
    return;
}

var options = BenchOptions.Parse(args);
var report = new List<string>
{
    $"# Vector store benchmark ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)",
    "",
    $"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC; " +
    $"load average before start: {LoadAverage()}. Dense {options.Dimensions}-d, limit {options.Limit}, prefetch {new VectorSearchOptions().PrefetchLimit(options.Limit)} per branch.",
    "",
};

foreach (var pins in options.Pins)
{
    report.AddRange(await RunAsync(pins, options));
    report.Add("");
    GC.Collect();
}

if (options.DiskPins > 0)
{
    report.AddRange(await DiskUpsertAsync(options));
}

Console.WriteLine();
Console.WriteLine(string.Join('\n', report));
if (options.Out is { } path)
{
    await File.WriteAllLinesAsync(path, report);
}

static async Task<List<string>> RunAsync(int pins, BenchOptions options)
{
    var catalog = new SyntheticCatalog(options.Dimensions);
    using var store = OpenStore("", options.Exact);
    var defaults = new EmbeddedStoreOptions();
    var lines = new List<string>
    {
        $"## {pins:N0} pins, {(options.Exact || pins < defaults.QuantizeThreshold ? "exact dense scoring only" : $"int8 shortlist + exact rescoring when a dense search covers more than {defaults.ExactScanLimit:N0} pins")}",
        "",
    };

    // Upsert: generation is not timed, only the store's work.
    var upsertTime = TimeSpan.Zero;
    const int batch = 500;
    for (var start = 0; start < pins; start += batch)
    {
        var points = Enumerable.Range(start, Math.Min(batch, pins - start)).Select(catalog.Pin).ToList();
        var t = Stopwatch.GetTimestamp();
        await store.UpsertAsync(points, CancellationToken.None);
        upsertTime += Stopwatch.GetElapsedTime(t);
        if (start % 100_000 == 0)
        {
            Console.Error.WriteLine($"  upserted {start:N0}/{pins:N0}");
        }
    }

    GC.Collect();
    lines.Add($"Upsert (in memory, batches of {batch}): {pins / upsertTime.TotalSeconds:N0} pins/s; managed heap after load {GC.GetTotalMemory(true) / (1 << 20):N0} MiB, process working set {Environment.WorkingSet / (1 << 20):N0} MiB.");
    lines.Add("");

    var queries = Enumerable.Range(0, options.Queries).Select(i => catalog.Query(i, pins)).ToList();
    var filters = new (string Name, Func<int, VectorFilter?> Make)[]
    {
        ("none", _ => null),
        ("selective: top category + in stock + price <= 300, not one colour", i => new VectorFilter(
            [new KeywordCondition(FilterFields.Category, [SyntheticCatalog.TopCategory(i % 10)]), new KeywordCondition(FilterFields.InStock, ["true"]),
             new RangeCondition(FilterFields.Price, null, null, null, 300)],
            [],
            [new KeywordCondition(FilterFields.Colour, [SyntheticCatalog.Colour(i)])])),
        ("broad: in stock", _ => new VectorFilter([new KeywordCondition(FilterFields.InStock, ["true"])], [], [])),
    };

    lines.Add("| search | filter | p50 ms | p95 ms | p99 ms | CPU p50 ms | CPU p99 ms | QPS (1 thread) | QPS (" + options.Concurrency + " threads) |");
    lines.Add("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var (mode, dense, sparse) in new[] { ("hybrid", true, true), ("dense", true, false), ("sparse", false, true) })
    {
        foreach (var (name, make) in filters)
        {
            HybridQuery Make(int i) => new(SyntheticCatalog.Tenant, dense ? queries[i].Dense : null, sparse ? queries[i].Sparse : null,
                make(i), options.Limit, SyntheticCatalog.EmbedderVersion);
            var result = await MeasureAsync(store, Make, queries.Count, options.Concurrency);
            lines.Add($"| {mode} | {name} | {result.P50:F2} | {result.P95:F2} | {result.P99:F2} | {result.CpuP50:F2} | {result.CpuP99:F2} | {result.Qps:N0} | {result.ConcurrentQps:N0} |");
            Console.Error.WriteLine(lines[^1]);
        }
    }

    lines.Add("");
    lines.AddRange(await RecallAsync(store, catalog, pins, queries.Take(options.RecallQueries).ToList(), filters[1].Make, options.Limit));
    return lines;
}

static async Task<(double P50, double P95, double P99, double CpuP50, double CpuP99, double Qps, double ConcurrentQps)> MeasureAsync(
    IVectorStore store, Func<int, HybridQuery> make, int count, int concurrency)
{
    // Warm up long enough for tiered compilation to reach optimised code.
    for (var i = 0; i < Math.Max(100, count / 5); i++)
    {
        await store.SearchAsync(make(i % count), CancellationToken.None);
    }

    // Wall time, and the CPU time the process spent on the query (all its threads): on a machine shared with
    // other busy processes, wall time also counts waiting for a core.
    var latencies = new double[count];
    var cpu = new double[count];
    var all = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        var query = make(i);
        var c = CpuClock.ProcessMilliseconds();
        var t = Stopwatch.GetTimestamp();
        await store.SearchAsync(query, CancellationToken.None);
        latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        cpu[i] = CpuClock.ProcessMilliseconds() - c;
    }

    var sequentialQps = count / all.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    Array.Sort(cpu);

    var next = -1;
    var concurrent = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            await store.SearchAsync(make(i), CancellationToken.None);
        }
    })));
    var concurrentQps = count / concurrent.Elapsed.TotalSeconds;
    return (Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99), Percentile(cpu, 0.50), Percentile(cpu, 0.99), sequentialQps, concurrentQps);
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

// Ground truth by regenerating every pin once and scanning it against all recall queries (independent of the store).
static async Task<List<string>> RecallAsync(
    IVectorStore store, SyntheticCatalog catalog, int pins, List<(string Text, float[] Dense, SparseVector Sparse)> queries,
    Func<int, VectorFilter?> filter, int k)
{
    var t = Stopwatch.GetTimestamp();
    var truthAll = queries.Select(_ => new PriorityQueue<string, float>()).ToArray();
    var truthFiltered = queries.Select(_ => new PriorityQueue<string, float>()).ToArray();
    for (var i = 0; i < pins; i++)
    {
        var point = catalog.Pin(i);
        for (var q = 0; q < queries.Count; q++)
        {
            var score = TensorPrimitives.Dot(point.Dense, queries[q].Dense);
            Offer(truthAll[q], point.Pin.Id, score, k);
            if (filter(q) is { } f && Matches(f, point.Pin))
            {
                Offer(truthFiltered[q], point.Pin.Id, score, k);
            }
        }
    }

    double recallAll = 0, recallFiltered = 0;
    for (var q = 0; q < queries.Count; q++)
    {
        var all = await store.SearchAsync(new HybridQuery(SyntheticCatalog.Tenant, queries[q].Dense, null, null, k, null), CancellationToken.None);
        var filtered = await store.SearchAsync(new HybridQuery(SyntheticCatalog.Tenant, queries[q].Dense, null, filter(q), k, null), CancellationToken.None);
        recallAll += Recall(truthAll[q], all);
        recallFiltered += Recall(truthFiltered[q], filtered);
    }

    return
    [
        $"Recall@{k} of dense search against an exact scan done by the benchmark ({queries.Count} queries, ground truth in {Stopwatch.GetElapsedTime(t).TotalSeconds:F0} s): " +
        $"unfiltered {recallAll / queries.Count:F4}, selective filter {recallFiltered / queries.Count:F4}.",
    ];

    static void Offer(PriorityQueue<string, float> top, string id, float score, int k)
    {
        if (top.Count < k)
        {
            top.Enqueue(id, score);
        }
        else if (top.TryPeek(out _, out var worst) && score > worst)
        {
            top.DequeueEnqueue(id, score);
        }
    }

    static double Recall(PriorityQueue<string, float> truth, IReadOnlyList<SearchHit> hits)
    {
        var expected = truth.UnorderedItems.Select(x => x.Element).ToHashSet();
        return expected.Count == 0 ? 1 : hits.Count(h => expected.Contains(h.Point.Pin.Id)) / (double)expected.Count;
    }
}

static bool Matches(VectorFilter f, Recommender.Contracts.PinData pin)
{
    bool Is(FilterCondition c) => c switch
    {
        KeywordCondition { Field: FilterFields.Category } k => pin.CategoryPath.Any(x => k.Any.Any(v => string.Equals(v, x, StringComparison.OrdinalIgnoreCase))),
        KeywordCondition { Field: FilterFields.InStock } k => k.Any.Contains(pin.InStock ? "true" : "false"),
        KeywordCondition { Field: FilterFields.Colour } k => k.Any.Any(v => string.Equals(v, pin.Colour, StringComparison.OrdinalIgnoreCase)),
        RangeCondition r => pin.Price is { } p && (r.Lte is null || p <= r.Lte),
        _ => throw new NotSupportedException(c.ToString()),
    };

    return f.Must.All(Is) && !f.MustNot.Any(Is) && (f.Should.Count == 0 || f.Should.Any(Is));
}

static async Task<List<string>> DiskUpsertAsync(BenchOptions options)
{
    var catalog = new SyntheticCatalog(options.Dimensions);
    var folder = Path.Combine(Path.GetTempPath(), "recommender-vector-bench", Guid.NewGuid().ToString("N"));
    try
    {
        var time = TimeSpan.Zero;
        using (var store = OpenStore(folder))
        {
            foreach (var size in new[] { 500 })
            {
                for (var start = 0; start < options.DiskPins; start += size)
                {
                    var points = Enumerable.Range(start, Math.Min(size, options.DiskPins - start)).Select(catalog.Pin).ToList();
                    var t = Stopwatch.GetTimestamp();
                    await store.UpsertAsync(points, CancellationToken.None);
                    time += Stopwatch.GetElapsedTime(t);
                }
            }
        }

        var open = Stopwatch.StartNew();
        using (var reopened = OpenStore(folder))
        {
            open.Stop();
        }

        var bytes = Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);
        return
        [
            $"## Durable upsert ({options.DiskPins:N0} pins on disk)",
            "",
            $"Batches of 500, each appended to the log and fsynced before the call returns: {options.DiskPins / time.TotalSeconds:N0} pins/s. " +
            $"Files: {bytes / (1 << 20):N0} MiB. Reopen (replay): {open.Elapsed.TotalSeconds:F1} s.",
        ];
    }
    finally
    {
        Directory.Delete(folder, recursive: true);
    }
}

static EmbeddedVectorStore OpenStore(string path, bool exact = false) => new(
    Options.Create(new EmbeddedStoreOptions { DataPath = path, QuantizeThreshold = exact ? 0 : new EmbeddedStoreOptions().QuantizeThreshold }),
    Options.Create(new VectorSearchOptions()),
    new BenchEnvironment(),
    NullLogger<EmbeddedVectorStore>.Instance);

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

/// <summary>CPU time of the whole process (clock_gettime CLOCK_PROCESS_CPUTIME_ID, nanosecond resolution on Linux).</summary>
internal static partial class CpuClock
{
    private const int ProcessCpuTimeId = 2;

    public static double ProcessMilliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        }

        _ = ClockGetTime(ProcessCpuTimeId, out var ts);
        return (ts.Seconds * 1_000.0) + (ts.Nanoseconds / 1_000_000.0);
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

internal sealed class BenchEnvironment : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Benchmark";

    public string ApplicationName { get; set; } = "Recommender.Vector.Benchmarks";

    public string ContentRootPath { get; set; } = Path.GetTempPath();

    public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
}

internal sealed record BenchOptions(
    int[] Pins, int Dimensions, int Queries, int RecallQueries, int Concurrency, int DiskPins, int Limit, string? Out, bool Exact)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new BenchOptions(
            (Get("--pins") ?? "50000").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray(),
            Int("--dims", 256),
            Int("--queries", 1_000),
            Int("--recall-queries", 100),
            Int("--concurrency", 2),
            Int("--disk-pins", 0),
            Int("--limit", 10),
            Get("--out"),
            args.Contains("--exact"));
    }
}

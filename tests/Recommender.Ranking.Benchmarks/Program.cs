using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Recommender.Ranking.Benchmarks;
using Recommender.Ranking.Intent;

// `--p99`: time every parse of the constraint query set individually (after warm-up) and print percentiles of wall
// time and of the thread's CPU time. Anything else goes to BenchmarkDotNet (e.g. `--filter *`).
if (args.Contains("--p99"))
{
    const int rounds = 50;
    var set = ConstraintQueries.Load();
    foreach (var (parser, query) in set)
    {
        parser.Parse(query);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{set.Count} queries x {rounds} rounds = {set.Count * rounds} parses per variant; {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
    var noClassifier = set.Select(s => (new EmbeddedIntentParser(s.Parser.Vocabulary, null), s.Query)).ToList();
    var grammarOnly = set.Select(s => (EmbeddedIntentParser.GrammarOnly, s.Query)).ToList();
    foreach (var (name, variant) in new[] { ("embedded (vocabulary + classifier)", set), ("vocabulary, no classifier", noClassifier), ("grammar only", grammarOnly) })
    {
        GC.Collect();
        var gc0 = GC.CollectionCount(0);
        var wall = new double[variant.Count * rounds];
        var cpu = new double[variant.Count * rounds];
        var n = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (parser, query) in variant)
            {
                var cpuStart = ThreadCpuClock.NowMicroseconds();
                var started = Stopwatch.GetTimestamp();
                parser.Parse(query);
                wall[n] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                cpu[n++] = ThreadCpuClock.NowMicroseconds() - cpuStart;
            }
        }

        Console.WriteLine($"{name}: gen0 GCs {GC.CollectionCount(0) - gc0}");
        Console.WriteLine(Percentiles("wall time", wall));
        if (ThreadCpuClock.Available)
        {
            Console.WriteLine(Percentiles("thread CPU time", cpu));
        }
    }

    return 0;
}

// `--rerank-cpu [rounds] [--trees-only]`: every RerankBenchmarks variant in process, each method timed by the thread's CPU clock
// over many invocations (median and minimum per candidate): steadier than wall time on a shared, loaded machine.
if (args.Contains("--rerank-cpu"))
{
    var at = Array.IndexOf(args, "--rerank-cpu");
    var rounds = at + 1 < args.Length && int.TryParse(args[at + 1], out var r) ? r : 40;
    BenchRanker[] models = args.Contains("--trees-only") ? [BenchRanker.Trees200] : [BenchRanker.Linear, BenchRanker.Trees200];
    RerankCpu.Run(rounds, LoadAverage(), models);
    return 0;
}

// `--rerank-loop SECONDS [--page]`: the default tail (MMR, no rules, 200-tree model) ranked in a loop, for a profiler
// (e.g. `perf record` with DOTNET_PerfMapEnabled=1).
if (args.Contains("--rerank-loop"))
{
    var at = Array.IndexOf(args, "--rerank-loop");
    var seconds = at + 1 < args.Length && double.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var s) ? s : 20;
    var bench = new RerankBenchmarks { Model = BenchRanker.Trees200, Diversity = Recommender.Ranking.Pipeline.Tail.DiversityMode.Mmr, Rules = false };
    bench.Setup();
    var page = args.Contains("--page");
    var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var invocations = 0;
    while (Stopwatch.GetTimestamp() < until)
    {
        _ = page ? bench.RankAndFirstPage() : bench.Rank();
        invocations++;
    }

    Console.WriteLine($"{invocations} invocations of {(page ? "RankAndFirstPage" : "Rank")}");
    return 0;
}

// `--cpu-clock` (with BenchmarkDotNet's usual arguments, e.g. `--filter`): an in-process ShortRun job whose clock is
// the benchmark thread's CPU time, so other processes on a shared machine do not inflate the numbers.
if (args.Contains("--cpu-clock"))
{
    var cpuJob = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithClock(ThreadCpuBenchmarkClock.Instance).WithId("ShortRun-ThreadCpu");
    BenchmarkSwitcher.FromAssembly(typeof(ParseBenchmarks).Assembly).Run(args.Where(a => a != "--cpu-clock").ToArray(),
        ManualConfig.Create(DefaultConfig.Instance).AddJob(cpuJob).AddColumn(StatisticColumn.Median, StatisticColumn.Min));
    return 0;
}

// The generated benchmark project builds the whole dependency chain: give a busy 2-core machine time for it.
// Median and Min next to the Mean: on a shared machine the mean carries the time spent waiting for a core.
BenchmarkSwitcher.FromAssembly(typeof(ParseBenchmarks).Assembly).Run(args, ManualConfig.Create(DefaultConfig.Instance)
    .WithBuildTimeout(TimeSpan.FromMinutes(10)).AddColumn(StatisticColumn.Median, StatisticColumn.Min));
return 0;

static string Percentiles(string what, double[] samples)
{
    Array.Sort(samples);
    double P(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
    return string.Create(CultureInfo.InvariantCulture,
        $"  {what,-16} us: p50 {P(0.50):F1}  p90 {P(0.90):F1}  p99 {P(0.99):F1}  p99.9 {P(0.999):F1}  max {samples[^1]:F1}  mean {samples.Average():F1}");
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

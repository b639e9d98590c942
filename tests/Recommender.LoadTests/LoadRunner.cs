using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Recommender.Contracts.Ranking.V1;

namespace Recommender.LoadTests;

/// <summary>Fixed concurrency for a fixed time: each worker sends the next query as soon as its last answer came.</summary>
public static class LoadRunner
{
    /// <summary>The warm-up, then <see cref="LoadOptions.Rounds"/> measured windows back to back in this process (each
    /// printed as it ends): on a shared machine the spread between windows of one process tells noise from a change.</summary>
    public static async Task<List<LoadReport>> RunAsync(RankingService.RankingServiceClient client, List<string> queries, LoadOptions o)
    {
        Console.WriteLine($"warm-up {o.Warmup} s ...");
        await RunPhaseAsync(client, queries, o, TimeSpan.FromSeconds(o.Warmup));
        var probe = o.HostProbe ? new HostProbe() : null;
        var reports = new List<LoadReport>(o.Rounds);
        for (var round = 1; round <= o.Rounds; round++)
        {
            if (o.Rounds > 1)
            {
                Console.WriteLine($"round {round} of {o.Rounds}");
            }

            var before = probe?.Measure();
            var report = await MeasureAsync(client, queries, o);
            report = report with { HostBefore = before, HostAfter = probe?.Measure() };
            report.Print(o);
            reports.Add(report);
        }

        return reports;
    }

    private static async Task<LoadReport> MeasureAsync(RankingService.RankingServiceClient client, List<string> queries, LoadOptions o)
    {
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var paused = GC.GetTotalPauseDuration();
        Console.WriteLine($"measuring {o.Seconds} s at concurrency {o.Concurrency} ...");
        using var sampler = o.AllocProfile > 0 ? new AllocationSampler() : null;
        sampler?.Start();
        var wall = Stopwatch.StartNew();
        var (latencies, errors, results) = await RunPhaseAsync(client, queries, o, TimeSpan.FromSeconds(o.Seconds));
        wall.Stop();
        sampler?.Stop();
        sampler?.Print(o.AllocProfile);
        var young = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        process.Refresh();
        Array.Sort(latencies);
        return new LoadReport(latencies, errors, results, wall.Elapsed, process.TotalProcessorTime - cpu0,
            GC.GetTotalAllocatedBytes(precise: true) - alloc0, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
            GC.GetTotalPauseDuration() - paused)
        {
            YoungGc = young.Index > 0 ? new YoungGc(young.GenerationInfo[0].SizeBeforeBytes, young.PromotedBytes, young.PauseDurations[0]) : null,
        };
    }

    private static async Task<(long[] Latencies, int Errors, long Results)> RunPhaseAsync(
        RankingService.RankingServiceClient client, List<string> queries, LoadOptions o, TimeSpan duration)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, o.Concurrency).Select(w => Task.Run(async () =>
        {
            var latencies = new List<long>(64_000);
            var errors = 0;
            long results = 0;
            var next = w * 7919;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var query = queries[next++ % queries.Count];
                var start = Stopwatch.GetTimestamp();
                try
                {
                    var response = await client.SearchAsync(new SearchRequest { Query = query, PageSize = o.PageSize });
                    results += response.Results.Count;
                    latencies.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (RpcException)
                {
                    errors++;
                }
            }

            return (latencies, errors, results);
        })).ToList();
        var done = await Task.WhenAll(workers);
        return (done.SelectMany(d => d.latencies).ToArray(), done.Sum(d => d.errors), done.Sum(d => d.results));
    }
}

/// <summary>The last gen0/gen1 collection of a window: what it found in gen0 (about the budget), what survived it, its pause.</summary>
public sealed record YoungGc(long Gen0Bytes, long PromotedBytes, TimeSpan Pause);

/// <summary>One measured window; <see cref="Latencies"/> (Stopwatch ticks) sorted ascending.</summary>
public sealed record LoadReport(long[] Latencies, int Errors, long Results, TimeSpan Wall, TimeSpan Cpu, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPause)
{
    public YoungGc? YoungGc { get; init; }

    /// <summary>What the host gave one thread just before the window and just after it (<see cref="HostProbe"/>).</summary>
    public HostSpeed? HostBefore { get; init; }

    public HostSpeed? HostAfter { get; init; }

    public double Qps => Latencies.Length / Wall.TotalSeconds;

    public double CpuMsPerRequest => Cpu.TotalMilliseconds / Math.Max(1, Latencies.Length);

    /// <summary>With several rounds: the QPS and CPU per request of each, and their median and best.</summary>
    public static void PrintSummary(IReadOnlyList<LoadReport> reports, LoadOptions o)
    {
        if (reports.Count < 2)
        {
            return;
        }

        var qps = reports.Select(r => r.Qps).Order().ToArray();
        var cpu = reports.Select(r => r.CpuMsPerRequest).Order().ToArray();
        var met = reports.Count(r => r.GoalMisses(o).Count == 0);
        Console.WriteLine($"rounds QPS {string.Join(" / ", reports.Select(r => r.Qps.ToString("F0", CultureInfo.InvariantCulture)))}; " +
            $"median {Median(qps):F0}, best {qps[^1]:F0}; CPU per request median {Median(cpu):F3} ms, best {cpu[0]:F3} ms; " +
            $"all goals met in {met} of {reports.Count}");
        if (reports.All(r => r.HostBefore is not null && r.HostAfter is not null))
        {
            // A markdown table: each window next to what the host gave one thread around it.
            Console.WriteLine("| round | QPS | ms CPU per request | met | memory latency ns (before / after) | bandwidth GB/s | core step ns |");
            Console.WriteLine("|---:|---:|---:|---|---:|---:|---:|");
            for (var i = 0; i < reports.Count; i++)
            {
                var (r, b, a) = (reports[i], reports[i].HostBefore!, reports[i].HostAfter!);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {i + 1} | {r.Qps:F0} | {r.CpuMsPerRequest:F3} | {(r.GoalMisses(o).Count == 0 ? "yes" : "no")} | {b.MemoryLatencyNs:F0} / {a.MemoryLatencyNs:F0} | {b.BandwidthGBps:F1} / {a.BandwidthGBps:F1} | {b.CoreStepNs:F2} / {a.CoreStepNs:F2} |"));
            }
        }
    }

    /// <summary>The window's p-quantile latency in ms (nearest rank; <see cref="Latencies"/> are sorted).</summary>
    public double LatencyMs(double p) => Latencies.Length == 0
        ? double.NaN
        : Latencies[Math.Min(Latencies.Length - 1, (int)(p * Latencies.Length))] * 1000.0 / Stopwatch.Frequency;

    /// <summary>The goals (<see cref="LoadOptions.GoalP50Ms"/>, p99, QPS) this window missed, as "measured vs goal";
    /// empty when it met them all. A window with errors misses too.</summary>
    public List<string> GoalMisses(LoadOptions o)
    {
        var misses = new List<string>();
        if (LatencyMs(0.50) > o.GoalP50Ms)
        {
            misses.Add($"p50 {LatencyMs(0.50):F2} ms > {o.GoalP50Ms:G} ms");
        }

        if (LatencyMs(0.99) > o.GoalP99Ms)
        {
            misses.Add($"p99 {LatencyMs(0.99):F2} ms > {o.GoalP99Ms:G} ms");
        }

        if (Qps < o.GoalQps)
        {
            misses.Add($"QPS {Qps:F0} < {o.GoalQps:G}");
        }

        if (Errors > 0)
        {
            misses.Add($"{Errors} errors");
        }

        return misses;
    }

    /// <summary>The median of ascending values (the mean of the middle two for an even count).</summary>
    internal static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>KB allocated per request. The runtime's allocated total can go back (dotnet/runtime#131069: under server
    /// GC's DATAS, when the heap count changes); a window where it did gets no number rather than a negative one.</summary>
    private string AllocatedPerRequest(int requests) => AllocatedBytes < 0
        ? "n/a (the runtime's allocated total went back during this window)"
        : string.Create(CultureInfo.InvariantCulture, $"{AllocatedBytes / Math.Max(1, requests) / 1024.0:F0} KB per request");

    public void Print(LoadOptions o)
    {
        var n = Latencies.Length;
        Console.WriteLine($"requests {n:N0} ok, {Errors} errors, {(double)Results / Math.Max(1, n):F1} results each, {Environment.ProcessorCount} cores, concurrency {o.Concurrency}, candidates {o.Candidates}, diversity {(o.Diversity.Length > 0 ? o.Diversity : "default (Mmr)")}, integer kernel {Recommender.Vector.Storage.Embedded.EmbeddedVectorStore.IntegerKernel}");
        Console.WriteLine($"QPS {Qps:F0}   p50 {LatencyMs(0.50):F2} ms   p90 {LatencyMs(0.90):F2} ms   p99 {LatencyMs(0.99):F2} ms   max {LatencyMs(1.0 - 1e-12):F2} ms");
        Console.WriteLine($"process CPU {Cpu.TotalSeconds / Wall.TotalSeconds:F2} cores ({CpuMsPerRequest:F3} ms CPU per request, client + server); allocated {AllocatedPerRequest(n)}; GCs gen0 {Gen0}, gen1 {Gen1}, gen2 {Gen2}, paused {GcPause.TotalMilliseconds:F0} ms ({100 * GcPause.TotalSeconds / Wall.TotalSeconds:F1}% of the time)");
        if (YoungGc is { } young)
        {
            Console.WriteLine($"last young GC: {young.Gen0Bytes / 1048576.0:F0} MB in gen0, {young.PromotedBytes / 1024.0:F0} KB promoted, paused {young.Pause.TotalMilliseconds:F1} ms");
        }

        if (HostBefore is not null && HostAfter is not null)
        {
            Console.WriteLine($"host probe before: {HostBefore}; after: {HostAfter}");
        }

        var misses = GoalMisses(o);
        Console.WriteLine($"goals (p50 <= {o.GoalP50Ms:G} ms, p99 <= {o.GoalP99Ms:G} ms, >= {o.GoalQps:G} QPS): " +
            (misses.Count == 0 ? "met" : $"not met ({string.Join(", ", misses)})"));
    }
}

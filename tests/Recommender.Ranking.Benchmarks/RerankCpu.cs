using System.Globalization;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// <see cref="RerankBenchmarks"/> without BenchmarkDotNet: each variant's methods are timed by the thread's CPU clock
/// (<see cref="ThreadCpuClock"/>, which does not count time the thread spent descheduled) as the median of
/// <c>rounds</c> invocations, in 5 interleaved passes so every method sees the same load; the best pass is printed,
/// per candidate, with the bytes <see cref="RerankBenchmarks.RankAndFirstPage"/> allocates per candidate.
/// </summary>
internal static class RerankCpu
{
    private const int PerInvoke = 8 * 200;
    private const int Passes = 5;

    public static void Run(int rounds, string loadAverage, BenchRanker[] models)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RerankBenchmarks by thread CPU time: best of {Passes} interleaved medians of {rounds} invocations, us per candidate; {Environment.ProcessorCount} cores, load average {loadAverage} at start"));
        Console.WriteLine("| model | diversity | rules | Features | model score | diversity alone | Rank | RankAndFirstPage | allocated (page) | page protos | page explanations | model score one at a time |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var first = true;
        foreach (var model in models)
        {
            foreach (var diversity in new[] { DiversityMode.None, DiversityMode.BrandCap, DiversityMode.Mmr })
            {
                foreach (var rules in new[] { false, true })
                {
                    var bench = new RerankBenchmarks { Model = model, Diversity = diversity, Rules = rules };
                    bench.Setup();
                    if (first)
                    {
                        // Let tiered compilation reach its optimised code before the first variant is timed.
                        for (var i = 0; i < 200; i++)
                        {
                            bench.RankAndFirstPage();
                        }

                        first = false;
                    }

                    Func<double>[] methods =
                    [
                        bench.Features, bench.ModelScore,
                        diversity == DiversityMode.Mmr ? bench.MmrOnlyValue : () => 0,
                        () => bench.Rank(), () => bench.RankAndFirstPage(), bench.PageProtos, bench.PageExplanations, bench.ScoreEach,
                    ];
                    var best = Enumerable.Repeat(double.MaxValue, methods.Length).ToArray();
                    for (var pass = 0; pass < Passes; pass++)
                    {
                        for (var m = 0; m < methods.Length; m++)
                        {
                            best[m] = Math.Min(best[m], Median(methods[m], rounds));
                        }
                    }

                    var allocated = GC.GetAllocatedBytesForCurrentThread();
                    for (var i = 0; i < rounds; i++)
                    {
                        bench.RankAndFirstPage();
                    }

                    var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)(rounds * PerInvoke);
                    var name = model == BenchRanker.Linear ? "linear" : bench.ModelSource;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {diversity} | {(rules ? "yes" : "no")} | {best[0]:F2} | {best[1]:F2} | {(diversity == DiversityMode.Mmr ? best[2].ToString("F2", CultureInfo.InvariantCulture) : "")} | {best[3]:F2} | {best[4]:F2} | {bytes:F0} B | {best[5]:F2} | {best[6]:F2} | {best[7]:F2} |"));
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    }

    private static double Median(Func<double> invoke, int rounds)
    {
        var samples = new double[rounds];
        invoke();
        for (var i = 0; i < rounds; i++)
        {
            var start = ThreadCpuClock.NowMicroseconds();
            invoke();
            samples[i] = (ThreadCpuClock.NowMicroseconds() - start) / PerInvoke;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }
}

using System.Globalization;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// <see cref="RerankBenchmarks"/> without BenchmarkDotNet: each variant's methods are invoked <c>rounds</c> times after a
/// warm-up and timed by the thread's CPU clock (<see cref="ThreadCpuClock"/>), which does not count time the thread
/// spent descheduled. Prints the median and minimum per candidate and the bytes allocated per candidate.
/// </summary>
internal static class RerankCpu
{
    private const int PerInvoke = 8 * 200;

    public static void Run(int rounds, string loadAverage, BenchRanker[] models)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RerankBenchmarks by thread CPU time, {rounds} rounds per method; {Environment.ProcessorCount} cores, load average {loadAverage} at start"));
        Console.WriteLine("| model | diversity | rules | Features median (min) | Rank median (min) | RankAndFirstPage median (min) | allocated/candidate (page) |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|");
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

                    var features = Time(() => bench.Features(), rounds, out _);
                    if (diversity == DiversityMode.None && !rules)
                    {
                        // Interleaved, so both see the same load.
                        var each = new List<double>();
                        var batch = new List<double>();
                        for (var i = 0; i < 5; i++)
                        {
                            each.Add(Median(() => bench.ScoreEach(), rounds));
                            batch.Add(Median(() => bench.ScoreBatch(), rounds));
                        }

                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"model {model}: Score one at a time {each.Min():F3} us, ScoreBatch {batch.Min():F3} us per candidate (best of 5 medians)"));
                        var mmr = new List<double>();
                        var mmrBefore = new List<double>();
                        for (var i = 0; i < 5; i++)
                        {
                            mmr.Add(Median(() => bench.MmrOnly(), rounds));
                            mmrBefore.Add(Median(() => bench.MmrPrevious(), rounds));
                        }

                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"model {model}: MMR {mmr.Min():F3} us, previous MMR {mmrBefore.Min():F3} us per candidate (best of 5 medians)"));
                    }

                    var rank = Time(() => bench.Rank(), rounds, out _);
                    var page = Time(() => bench.RankAndFirstPage(), rounds, out var bytes);
                    var name = model == BenchRanker.Linear ? "linear" : bench.ModelSource;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {diversity} | {(rules ? "yes" : "no")} | {features} | {rank} | {page} | {bytes:F0} B |"));
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

    private static string Time(Func<double> invoke, int rounds, out double bytesPerCandidate)
    {
        for (var i = 0; i < Math.Max(5, rounds / 4); i++)
        {
            invoke();
        }

        var samples = new double[rounds];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < rounds; i++)
        {
            var start = ThreadCpuClock.NowMicroseconds();
            invoke();
            samples[i] = (ThreadCpuClock.NowMicroseconds() - start) / PerInvoke;
        }

        bytesPerCandidate = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)(rounds * PerInvoke);
        Array.Sort(samples);
        return string.Create(CultureInfo.InvariantCulture, $"{samples[rounds / 2]:F2} ({samples[0]:F2}) us");
    }
}

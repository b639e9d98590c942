using Perfolizer.Horology;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// A BenchmarkDotNet clock that reads the benchmark thread's CPU time (<see cref="ThreadCpuClock"/>, in ns), for
/// `--cpu-clock` runs: BenchmarkDotNet's own pilot, warm-up, iterations and statistics, but each iteration's time is
/// what the thread computed, not the time it waited for a core on a shared machine. Needs the in-process toolchain
/// (the clock must run in the process that runs the benchmark) and is only as fine as the kernel's CPU accounting.
/// </summary>
internal sealed class ThreadCpuBenchmarkClock : IClock
{
    public static readonly ThreadCpuBenchmarkClock Instance = new();

    public string Title => "Thread CPU time (CLOCK_THREAD_CPUTIME_ID)";

    public bool IsAvailable => ThreadCpuClock.Available;

    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp() => ThreadCpuClock.NowNanoseconds();
}

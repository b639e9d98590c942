using System.Runtime.InteropServices;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID): what a parse costs itself, without the time the
/// thread spent descheduled. On a shared, oversubscribed machine wall-clock tails are mostly the scheduler's.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool Available { get; } = OperatingSystem.IsLinux() && TryNow(out _);

    public static double NowMicroseconds() => TryNow(out var us) ? us : double.NaN;

    /// <summary>The thread's CPU time in nanoseconds (0 where the clock is unavailable).</summary>
    public static long NowNanoseconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTimeId, out var ts) == 0 ? (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds : 0;

    private static bool TryNow(out double microseconds)
    {
        microseconds = 0;
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTimeId, out var ts) != 0)
        {
            return false;
        }

        microseconds = (ts.Seconds * 1_000_000.0) + (ts.Nanoseconds / 1_000.0);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

using System.Runtime.InteropServices;

namespace Recommender.SystemTests.Infrastructure;

/// <summary>POSIX signals (Process.Kill only sends SIGKILL).</summary>
internal static class Signals
{
    public const int Term = 15;

    public static void Send(int pid, int signal) => _ = kill(pid, signal);

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a single libc call; LibraryImport would need unsafe blocks
    private static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054, CA5392
}

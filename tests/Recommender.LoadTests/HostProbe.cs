using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recommender.LoadTests;

/// <summary>What the host gave one thread at one moment (<see cref="HostProbe"/>): the latency of a dependent read from
/// memory, the bandwidth of a streaming read, and the time of one step of a fixed in-cache integer loop.</summary>
public sealed record HostSpeed(double MemoryLatencyNs, double BandwidthGBps, double CoreStepNs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"memory latency {MemoryLatencyNs:F0} ns, bandwidth {BandwidthGBps:F1} GB/s, core step {CoreStepNs:F2} ns");
}

/// <summary>
/// A fixed workload timed on one thread while the server is idle (between measured windows), so a window's numbers can
/// be read against what the machine gave at that moment. On a shared host other tenants take cache, memory bandwidth
/// and sibling hyperthreads without taking our CPU time away, so the same build costs more CPU per request; this probe
/// sees that as slower reads and steps. The timed methods are not inlined, so their unused results still cost the
/// work. Three parts, each the median of <see cref="Repeats"/> runs: a pointer chase
/// through a random cycle over a buffer larger than the L3 (latency of the scattered reads a search makes), a
/// vectorised pass reading the same buffer in order (bandwidth), and an integer multiply-xor loop that stays in registers (the
/// core's speed, which a busy sibling hyperthread slows).
/// </summary>
public sealed class HostProbe
{
    private const int Repeats = 5;
    private const int ChaseSteps = 200_000;
    private const int CoreSteps = 4_000_000;

    /// <summary>64 MB: twice the host's 32 MB L3, so the chase and the sum read from memory.</summary>
    private readonly int[] _cycle;

    public HostProbe(int megabytes = 64)
    {
        var n = megabytes * 1024 * 1024 / sizeof(int);
        _cycle = new int[n];
        for (var i = 0; i < n; i++)
        {
            _cycle[i] = i;
        }

        // Sattolo's shuffle: a single cycle through every element, so the chase never settles in a short loop.
        var random = new Random(17);
        for (var i = n - 1; i > 0; i--)
        {
            var j = random.Next(i);
            (_cycle[i], _cycle[j]) = (_cycle[j], _cycle[i]);
        }
    }

    public HostSpeed Measure()
    {
        var latency = new double[Repeats];
        var bandwidth = new double[Repeats];
        var core = new double[Repeats];
        var start = 0;
        for (var r = 0; r < Repeats; r++)
        {
            var t = Stopwatch.GetTimestamp();
            start = Chase(_cycle, start, ChaseSteps);
            latency[r] = Stopwatch.GetElapsedTime(t).TotalNanoseconds / ChaseSteps;

            t = Stopwatch.GetTimestamp();
            _ = Fold(_cycle);
            bandwidth[r] = _cycle.Length * (double)sizeof(int) / Stopwatch.GetElapsedTime(t).TotalNanoseconds;

            t = Stopwatch.GetTimestamp();
            _ = Steps(CoreSteps, (ulong)r);
            core[r] = Stopwatch.GetElapsedTime(t).TotalNanoseconds / CoreSteps;
        }

        return new HostSpeed(Median(latency), Median(bandwidth), Median(core));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Chase(int[] cycle, int at, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            at = cycle[at];
        }

        return at;
    }

    /// <summary>Every element read in order, xor-folded in vectors: a streaming read at the memory's bandwidth.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Fold(int[] values)
    {
        var span = MemoryMarshal.Cast<int, Vector<int>>(values.AsSpan());
        var acc = Vector<int>.Zero;
        foreach (var v in span)
        {
            acc ^= v;
        }

        return System.Numerics.Vector.Sum(acc);
    }

    /// <summary>A dependent chain of multiplies and xor-shifts (a 64-bit mixer): a few cycles per step, no memory.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Steps(int steps, ulong x)
    {
        for (var i = 0; i < steps; i++)
        {
            x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL;
        }

        return x;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return LoadReport.Median(values);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Recommender.LoadTests;

/// <summary>--alloc-profile: samples allocations during the measured load through the runtime's GC allocation-tick
/// events (one event per ~100 KB allocated, naming the type that crossed the mark) and prints the types that
/// received most samples: where a request's allocations come from, without a profiler.</summary>
public sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _on;

    public void Start() => _on = true;

    public void Stop() => _on = false;

    public void Print(int top)
    {
        var total = _bytes.Values.Sum();
        Console.WriteLine($"allocation samples by type (share of {total / 1024 / 1024:N0} MB sampled):");
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(top))
        {
            Console.WriteLine($"  {100.0 * bytes / Math.Max(1, total),5:F1}%  {type}");
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)
            || eventData.PayloadNames is null)
        {
            return;
        }

        var type = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[eventData.PayloadNames.IndexOf("AllocationAmount")], System.Globalization.CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(type, amount, (_, b) => b + amount);
    }
}

namespace Recommender.Ingestion.Pipeline;

/// <summary>Versions for pins sent without one: UTC ticks, strictly increasing within the process.</summary>
public static class VersionClock
{
    private static long _last;

    public static long Next()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(DateTimeOffset.UtcNow.UtcTicks, last + 1);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }
}

using Recommender.Contracts;

namespace Recommender.Vector.Storage.Embedded;

public sealed partial class EmbeddedVectorStore : IPinLister
{
    public Task<IReadOnlyList<PinData>> ListAsync(string tenant, string? afterId, int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterReadLock();
        try
        {
            if (!_segments.TryGetValue(tenant, out var segment) || limit <= 0)
            {
                return Task.FromResult<IReadOnlyList<PinData>>([]);
            }

            // A bounded selection of the next ids: O(n log limit) per page, no sorted copy of the whole segment.
            var next = new PriorityQueue<PinData, string>(limit + 1, Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
            foreach (var entry in segment.Entries)
            {
                var pin = entry.Point.Pin;
                if (afterId is not null && string.CompareOrdinal(pin.Id, afterId) <= 0)
                {
                    continue;
                }

                next.Enqueue(pin, pin.Id);
                if (next.Count > limit)
                {
                    next.Dequeue();
                }
            }

            var page = new PinData[next.Count];
            for (var i = page.Length - 1; i >= 0; i--)
            {
                page[i] = next.Dequeue();
            }

            return Task.FromResult<IReadOnlyList<PinData>>(page);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}

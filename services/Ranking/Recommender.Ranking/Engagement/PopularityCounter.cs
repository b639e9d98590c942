using System.Collections.Concurrent;
using Recommender.Contracts;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// Per-pin engagement counts (weighted by kind) with idempotency-key dedupe. Bounded: at most
/// <see cref="MaxPins"/> pins and <see cref="MaxKeys"/> remembered keys; the oldest keys are forgotten first.
/// </summary>
public sealed class PopularityCounter : IEngagementSignals
{
    public const int MaxPins = 1_000_000;
    public const int MaxKeys = 1_000_000;

    private readonly ConcurrentDictionary<(string Tenant, string PinId), double> _scores = new();
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _seenOrder = new();

    public long Counted { get; private set; }

    /// <summary>Counts the event once; returns false for a repeat of an idempotency key.</summary>
    public bool Record(PinEngaged e)
    {
        if (!_seen.TryAdd(e.IdempotencyKey, 0))
        {
            return false;
        }

        _seenOrder.Enqueue(e.IdempotencyKey);
        while (_seenOrder.Count > MaxKeys && _seenOrder.TryDequeue(out var old))
        {
            _seen.TryRemove(old, out _);
        }

        if (_scores.Count < MaxPins || _scores.ContainsKey((e.Tenant, e.PinId)))
        {
            _scores.AddOrUpdate((e.Tenant, e.PinId), Weight(e.Kind), (_, s) => s + Weight(e.Kind));
        }

        Counted++;
        return true;
    }

    public double Score(string tenant, string pinId) => _scores.GetValueOrDefault((tenant, pinId));

    public PinSignals Pin(string tenant, string pinId) => new(Score(tenant, pinId), 0);

    public IAffinity? Affinity(string tenant, string? userId, string? sessionId) => null;

    private static double Weight(EngagementType kind) => kind switch
    {
        EngagementType.Impression => 0.05,
        EngagementType.Click => 1,
        EngagementType.Save => 2,
        EngagementType.AddToCart => 3,
        EngagementType.Purchase => 5,
        _ => 0,
    };
}

using System.Collections.Concurrent;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// The ranking form of each retrieved pin version: its <see cref="PinData"/> and, once a search returned it, its
/// dense vector. A pin's content is fixed for a given (tenant, id, version), so a search that meets a pin again
/// reuses both instead of converting the message and copying 1 KB of vector per candidate again; MMR's vectors are
/// fetched only for pins not seen before (<see cref="MissingVectors"/>), so searches need not carry them. Bounded:
/// the cache is emptied when it reaches <see cref="MaxPins"/> (as the feature extractor's term cache is), about
/// 1.5 KB per pin with its vector.
/// </summary>
public sealed class RetrievedPins
{
    public const int MaxPins = 100_000;

    private readonly ConcurrentDictionary<Key, Retrieved> _pins = new();

    /// <summary>The pin of a hit, and its vector when the hit carries one (or an earlier hit of this version did).</summary>
    public (PinData Pin, float[]? Vector) Of(ScoredPin hit)
    {
        var key = new Key(hit.Pin.Tenant, hit.Pin.Id, hit.Pin.Version);
        if (_pins.TryGetValue(key, out var known) && (known.Vector is not null || hit.Dense.Count == 0))
        {
            return (known.Pin, known.Vector);
        }

        var pin = known?.Pin ?? hit.Pin.ToPinData(hit.Pin.Tenant, hit.Pin.Version);
        float[]? vector = null;
        if (hit.Dense.Count > 0)
        {
            vector = new float[hit.Dense.Count];
            hit.Dense.CopyTo(vector, 0);
        }

        Add(key, new Retrieved(pin, vector));
        return (pin, vector);
    }

    /// <summary>Ids of the hits whose vector is not known yet (null when every one is), to fetch them once.</summary>
    public List<string>? MissingVectors(IEnumerable<ScoredPin> hits)
    {
        List<string>? missing = null;
        foreach (var hit in hits)
        {
            if (hit.Dense.Count == 0
                && !(_pins.TryGetValue(new Key(hit.Pin.Tenant, hit.Pin.Id, hit.Pin.Version), out var known) && known.Vector is not null))
            {
                (missing ??= []).Add(hit.Pin.Id);
            }
        }

        return missing;
    }

    /// <summary>Keeps a fetched point's pin and vector for its version.</summary>
    public void Remember(VectorPoint point)
    {
        if (point.Dense.Count == 0)
        {
            return;
        }

        var key = new Key(point.Pin.Tenant, point.Pin.Id, point.Pin.Version);
        var pin = _pins.TryGetValue(key, out var known) ? known.Pin : point.Pin.ToPinData(point.Pin.Tenant, point.Pin.Version);
        var vector = new float[point.Dense.Count];
        point.Dense.CopyTo(vector, 0);
        Add(key, new Retrieved(pin, vector));
    }

    private void Add(Key key, Retrieved retrieved)
    {
        if (_pins.Count >= MaxPins)
        {
            _pins.Clear();
        }

        _pins[key] = retrieved;
    }

    private readonly record struct Key(string Tenant, string Id, long Version);

    private sealed record Retrieved(PinData Pin, float[]? Vector);
}

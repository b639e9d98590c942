using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Google.Protobuf.Collections;
using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Vector.V1;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// The ranking form of each retrieved pin version: its <see cref="PinData"/> and, once a search returned it, its
/// dense vector. A pin's content is fixed for a given (tenant, id, version), so a search that meets a pin again
/// reuses both instead of converting the message and copying 1 KB of vector per candidate again; MMR's vectors are
/// fetched only for pins not seen before (<see cref="Resolve"/> lists them), so searches need not carry them.
/// Bounded: the cache is emptied when it reaches <see cref="MaxPins"/> (as the feature extractor's term cache is),
/// about 1.5 KB per pin with its vector.
/// </summary>
public sealed class RetrievedPins
{
    public const int MaxPins = 100_000;

    private readonly ConcurrentDictionary<Key, Retrieved> _pins = new();

    /// <summary>Vectors of in-process hits, keyed by the store's own pin instance (<see cref="ScoredPin.StoredPin"/>):
    /// no id hashing, and an entry goes when the store drops the instance (an upsert makes a new one).</summary>
    private readonly ConditionalWeakTable<PinData, float[]> _storedVectors = [];

    /// <summary>The pin of a hit, and its vector when the hit carries one (or an earlier hit of this version did).</summary>
    public (PinData Pin, float[]? Vector) Of(ScoredPin hit)
    {
        if (hit.StoredPin is { } stored)
        {
            if (_storedVectors.TryGetValue(stored, out var vector))
            {
                return (stored, vector);
            }

            return (stored, hit.Dense.Count > 0 ? _storedVectors.GetValue(stored, _ => hit.Dense.ToArray()) : null);
        }

        var key = KeyOf(hit.Pin);
        _pins.TryGetValue(key, out var known);
        var retrieved = known is not null && (known.Vector is not null || hit.Dense.Count == 0)
            ? known
            : Keep(key, hit.Pin, known, hit.Dense);
        return (retrieved.Pin, retrieved.Vector);
    }

    /// <summary>Every hit's pin and vector (one cache lookup each, as <see cref="Of"/>); with
    /// <paramref name="needVectors"/>, <paramref name="missing"/> lists the positions of hits whose vector is not known
    /// yet (null when every one is), to fetch them once and <see cref="Of"/> them again.</summary>
    public (PinData Pin, float[]? Vector)[] Resolve(IReadOnlyList<ScoredPin> hits, bool needVectors, out List<int>? missing)
    {
        var resolved = new (PinData Pin, float[]? Vector)[hits.Count];
        missing = null;
        for (var i = 0; i < hits.Count; i++)
        {
            resolved[i] = Of(hits[i]);
            if (needVectors && resolved[i].Vector is null)
            {
                (missing ??= []).Add(i);
            }
        }

        return resolved;
    }

    /// <summary>Keeps a fetched point's pin and vector for its version.</summary>
    public void Remember(VectorPoint point)
    {
        if (point.StoredPin is { } stored)
        {
            if (point.Dense.Count > 0)
            {
                _storedVectors.GetValue(stored, _ => point.Dense.ToArray());
            }

            return;
        }

        if (point.Dense.Count > 0)
        {
            var key = KeyOf(point.Pin);
            _pins.TryGetValue(key, out var known);
            Keep(key, point.Pin, known, point.Dense);
        }
    }

    /// <summary>Stores the version's pin (the known one, else converted) with a copy of <paramref name="dense"/>.</summary>
    private Retrieved Keep(Key key, Pin proto, Retrieved? known, RepeatedField<float> dense)
    {
        float[]? vector = null;
        if (dense.Count > 0)
        {
            vector = new float[dense.Count];
            dense.CopyTo(vector, 0);
        }

        var retrieved = new Retrieved(known?.Pin ?? proto.ToPinData(proto.Tenant, proto.Version), vector);
        if (_pins.Count >= MaxPins)
        {
            _pins.Clear();
        }

        // A pin without its vector never replaces an entry: a concurrent search may just have stored the vector, and
        // overwriting it would leave that search's candidate without one (MMR would then see no similarity).
        return vector is null ? _pins.GetOrAdd(key, retrieved) : _pins[key] = retrieved;
    }

    private static Key KeyOf(Pin pin) => new(pin.Tenant, pin.Id, pin.Version);

    private readonly record struct Key(string Tenant, string Id, long Version);

    private sealed record Retrieved(PinData Pin, float[]? Vector);
}

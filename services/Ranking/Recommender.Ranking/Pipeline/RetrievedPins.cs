using System.Collections.Concurrent;
using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Vector.V1;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// The ranking form of each retrieved pin version (<see cref="RetrievedPin"/>): its <see cref="PinData"/>, once a
/// search returned it its dense vector, and once ranked its terms. A pin's content is fixed for a given (tenant, id,
/// version), so a search that meets a pin again reuses all three instead of converting the message, copying 1 KB of
/// vector and looking its terms up again per candidate; MMR's vectors are fetched only for pins not seen before
/// (<see cref="Resolve"/> lists them), so searches need not carry them.
/// Entries of pins from the network are bounded: that cache is emptied when it reaches <see cref="MaxPins"/> (about
/// 1.5 KB per pin with its vector, plus its terms once ranked); entries of in-process pins are kept on the store's own
/// version (<see cref="SharedPin"/>) and live as long as the store holds that version.
/// </summary>
public sealed class RetrievedPins
{
    public const int MaxPins = 100_000;

    private readonly ConcurrentDictionary<Key, RetrievedPin> _pins = new();

    /// <summary>The pin of a hit, with its vector when the hit carries one (or an earlier hit of this version did).</summary>
    public RetrievedPin Of(ScoredPin hit)
    {
        var retrieved = hit.StoredPin is { } stored
            ? Stored(stored)
            : Known(hit.Pin);
        if (retrieved.Vector is null && hit.Dense.Count > 0)
        {
            retrieved.Vector = hit.Dense.ToArray();
        }

        retrieved.OfferMessage(hit.Pin);
        return retrieved;
    }

    /// <summary>Every hit's pin and vector (one cache lookup each, as <see cref="Of"/>); with
    /// <paramref name="needVectors"/>, <paramref name="missing"/> lists the positions of hits whose vector is not known
    /// yet (null when every one is), to fetch them once and <see cref="Of"/> them again.</summary>
    public RetrievedPin[] Resolve(IReadOnlyList<ScoredPin> hits, bool needVectors, out List<int>? missing)
    {
        var resolved = new RetrievedPin[hits.Count];
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
        if (point.Dense.Count == 0)
        {
            return;
        }

        var retrieved = point.StoredPin is { } stored
            ? Stored(stored)
            : Known(point.Pin);
        retrieved.Vector ??= point.Dense.ToArray();
    }

    /// <summary>The entry of an in-process hit's stored version (<see cref="ScoredPin.StoredPin"/>), kept on that
    /// version itself: no id hashing and no lookup, and it goes when the store drops the version (an upsert makes a new
    /// one).</summary>
    private static RetrievedPin Stored(SharedPin pin) => pin.Attached(static p => new RetrievedPin(p));

    /// <summary>The entry of the message's pin version, converted and added when it is new. An entry is never
    /// replaced, only completed (its vector set), so a concurrent search cannot lose another's vector.</summary>
    private RetrievedPin Known(Pin proto)
    {
        var key = new Key(proto.Tenant, proto.Id, proto.Version);
        if (_pins.TryGetValue(key, out var known))
        {
            return known;
        }

        if (_pins.Count >= MaxPins)
        {
            _pins.Clear();
        }

        return _pins.GetOrAdd(key, new RetrievedPin(proto.ToPinData(proto.Tenant, proto.Version)));
    }

    private readonly record struct Key(string Tenant, string Id, long Version);
}

using System.Buffers;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The segment's side of the clustered index (IVF, <see cref="ClusterIndex"/>): the approximate dense search,
/// and the snapshot / copy / install steps of a build that runs off the request path (the store takes its lock around
/// each step: read for the snapshot and copies, write for the install).</summary>
internal sealed partial class Segment
{
    /// <summary>How many rows ahead the cluster walk and the rescoring prefetch.</summary>
    private const int PrefetchDistance = 4;

    /// <summary>
    /// Top <paramref name="limit"/> through the clustered index: the query is scored against the centroids and the
    /// clusters are visited best first, each listed slot that is live and selected scored with its int8 row into the
    /// shortlist (as <see cref="QuantizedTop"/> does over every slot), until at least the probe budget of selected slots
    /// was scored: <see cref="EmbeddedStoreOptions.IvfProbeFraction"/> of the selected pins, and at least
    /// <see cref="EmbeddedStoreOptions.IvfMinProbeShortlists"/> shortlists. Only selected slots count, so a selective
    /// filter visits more clusters. The shortlist is rescored exactly. Falls back to <see cref="QuantizedTop"/> when the
    /// budget is half the selection or more (a sequential scan is then cheaper), for queries with few non-zero int8
    /// dimensions (hashing-embedder queries: the column scan reads less than the clusters' rows would), and for an
    /// all-zero query (a text of stop words only: every pin ties, and the scan keeps the tie order by pin id).
    /// </summary>
    private List<(Entry Entry, float Score)> ClusteredTop(ClusterIndex index, float[] query, Selection? selection, int limit)
    {
        var q = new PreparedQuery(query);
        var selected = selection?.Count ?? Count;
        var shortlist = Math.Min(selected, Math.Max(limit * _options.RescoreFactor, limit + 64));
        var budget = Math.Max((long)Math.Ceiling(selected * _options.IvfProbeFraction), (long)shortlist * _options.IvfMinProbeShortlists);
        if (q.NonZeroDimensions.Length == 0 || QuantizedVectors.PrefersColumns(q) || budget * 2 > selected)
        {
            return QuantizedTop(query, selection, limit, q);
        }

        Interlocked.Increment(ref _clusteredSearches);
        var quantized = _quantized!;
        var generations = _generations;
        var clusters = index.Clusters;
        var scores = ArrayPool<float>.Shared.Rent(clusters);
        var order = ArrayPool<int>.Shared.Rent(clusters);
        using var candidates = new KeyBuffer((int)Math.Min(budget + 64, selected));
        try
        {
            index.Rank(query, scores, order);
            var visited = 0L;
            for (var r = 0; r < clusters && visited < budget; r++)
            {
                var (slots, listed, count) = index.List(order[r]);
                for (var i = 0; i < count; i++)
                {
                    var slot = slots[i];
                    if (i + PrefetchDistance < count)
                    {
                        // Listed slots are scattered over the rows: ask for a later one's row now.
                        MemoryPrefetch.Row<sbyte>(quantized.At(slots[i + PrefetchDistance]));
                    }

                    // A stale entry (the slot was overwritten or freed since it was listed) or an unselected slot.
                    if (generations[slot] != listed[i] || (selection is not null && !selection.Contains(slot)))
                    {
                        continue;
                    }

                    visited++;
                    candidates.Add(ShortlistKeys.Key(quantized.Dot(slot, q) * quantized.Scale(slot), slot));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(order);
        }

        candidates.KeepTop(shortlist);
        return Rescore(candidates.Keys, query, limit);
    }

    /// <summary>The live pins for an index build: ids, slots and generations, and <see cref="Changes"/> at this point.
    /// Call under the store's read lock.</summary>
    public (string[] Ids, int[] Slots, int[] Generations, long Changes) LiveSnapshot()
    {
        var ids = new string[Count];
        var slots = new int[Count];
        var generations = new int[Count];
        var n = 0;
        foreach (var entry in _entries)
        {
            if (entry is not null)
            {
                ids[n] = entry.Point.Pin.Id;
                slots[n] = entry.Slot;
                generations[n++] = entry.Generation;
            }
        }

        return (ids, slots, generations, _changes);
    }

    /// <summary>Copies the vectors of <paramref name="slots"/> (row i into row i of <paramref name="destination"/>) and
    /// says which still hold the entry of the given generation; returns how many do. Call under the store's read lock.</summary>
    public int CopyVectors(ReadOnlySpan<int> slots, ReadOnlySpan<int> generations, Span<float> destination, Span<bool> current)
    {
        var n = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            current[i] = slot < _entries.Count && _generations[slot] == generations[i];
            if (current[i])
            {
                VectorAt(slot).CopyTo(destination.Slice(i * _dimensions, _dimensions));
                n++;
            }
        }

        return n;
    }

    /// <summary>Installs a built index, first bringing it up to date with the writes made while it was built: a live slot
    /// listed with another generation (or not at all) is assigned now, a freed one forgotten. Replaces any previous
    /// index. Call under the store's write lock.</summary>
    public void InstallIndex(ClusterIndex index)
    {
        for (var slot = 0; slot < _entries.Count; slot++)
        {
            var generation = _generations[slot];
            var listed = index.ClusterOf(slot) >= 0;
            if (generation == 0)
            {
                if (listed)
                {
                    index.Remove(slot, _generations);
                }
            }
            else if (!listed || index.GenerationOf(slot) != generation)
            {
                index.Assign(slot, generation, VectorAt(slot), _generations);
            }
        }

        _index = index;
    }
}

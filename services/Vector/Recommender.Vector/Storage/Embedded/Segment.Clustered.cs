using System.Buffers;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The segment's side of the clustered index (IVF, <see cref="ClusterIndex"/>): the approximate dense search,
/// and the snapshot / copy / install steps of a build that runs off the request path (the store takes its lock around
/// each step: read for the snapshot and copies, write for the install).</summary>
internal sealed partial class Segment
{
    /// <summary>
    /// Top <paramref name="limit"/> through the clustered index: the clusters are ranked by the query's int8 score
    /// against their means and visited best first; each visited list's 4-bit codes are scored in order (the codes sit
    /// in the list, so a cluster is one sequential read), and each listed slot that is selected becomes a candidate,
    /// until at least the probe budget of selected slots was scored: <see cref="EmbeddedStoreOptions.IvfProbeFraction"/>
    /// of the selected pins, and at least <see cref="EmbeddedStoreOptions.IvfMinProbeShortlists"/> shortlists. Only
    /// selected slots count, so a selective filter visits more clusters. From there on it is the scan's coarse path:
    /// the best <see cref="EmbeddedStoreOptions.CoarseFactor"/> shortlists by 4-bit score are rescored with their int8
    /// rows, which pick the shortlist, and <see cref="Finish"/> ranks it. Falls back to <see cref="QuantizedTop"/> until
    /// the index is calibrated or when its calibration found the walk missing too much (<see cref="WalkFraction"/>),
    /// when the budget is half the selection or more (a sequential scan is then cheaper), for queries with few non-zero
    /// int8 dimensions (hashing-embedder queries: the column scan reads less than the clusters' codes would) or none,
    /// and when the index keeps no codes (dimensions not a multiple of 64). An all-zero query never gets here
    /// (<see cref="ZeroQueryTop"/>).
    /// </summary>
    private List<(Entry Entry, float Score)> ClusteredTop(ClusterIndex index, float[] query, Selection? selection, int limit)
    {
        var q = new PreparedQuery(query);
        if (index.CodeWidth == 0 || q.NonZeroDimensions.Length == 0 || QuantizedVectors.PrefersColumns(q))
        {
            return QuantizedTop(query, selection, limit, q);
        }

        // Until the index is calibrated (and on a catalog where the walk misses too much), the scan answers.
        var fraction = WalkFraction(index, query, selection, limit);
        if (fraction > 0 && Walk(index, q, query, selection, limit, fraction) is { } walked)
        {
            Interlocked.Increment(ref _clusteredSearches);
            return walked;
        }

        return QuantizedTop(query, selection, limit, q);
    }

    /// <summary>The walk of <see cref="ClusteredTop"/> with a probe budget of <paramref name="fraction"/> of the selected
    /// pins, or null when that budget is half the selection or more (a sequential scan is then cheaper).</summary>
    private List<(Entry Entry, float Score)>? Walk(ClusterIndex index, PreparedQuery q, float[] query, Selection? selection, int limit, double fraction)
    {
        var selected = selection?.Count ?? Count;
        var shortlist = Math.Min(selected, Math.Max(limit * _options.RescoreFactor, limit + 64));
        var budget = Math.Max((long)Math.Ceiling(selected * fraction), (long)shortlist * _options.IvfMinProbeShortlists);
        if (budget * 2 > selected)
        {
            return null;
        }

        var (width, clusters) = (index.CodeWidth, index.Clusters);
        var (slots, codes, codeScales) = (index.Slots, index.Codes, index.Scales);
        var keys = ArrayPool<ulong>.Shared.Rent(clusters);
        var scores = ArrayPool<int>.Shared.Rent(64);
        using var candidates = new KeyBuffer((int)Math.Min(budget + 64, selected));
        try
        {
            index.Rank(q, keys);

            // Clusters are taken best first in batches: a partial select of the next batch, then a sort of it, so only
            // the clusters the budget reaches are ordered. A batch is about twice the clusters an even spread needs.
            var perCluster = Math.Max(1, index.Listed / clusters);
            var batch = (int)Math.Min(clusters, (2 * budget / perCluster) + 8);
            var visited = 0L;
            for (var from = 0; from < clusters && visited < budget; from += batch)
            {
                var rest = keys.AsSpan(from, clusters - from);
                var take = Math.Min(batch, rest.Length);
                ShortlistKeys.SelectTop(rest, take);
                var ranked = rest[..take];
                ranked.Sort();
                for (var r = take - 1; r >= 0 && visited < budget; r--)
                {
                    if (r > 0)
                    {
                        // The lists are scattered: fetch the next one while this one is scored.
                        index.Prefetch(ShortlistKeys.Slot(ranked[r - 1]));
                    }

                    // Whole groups of four codes (the kernel's step; a list's capacity is a multiple of 4), the scores of
                    // the padding ignored.
                    var (start, count, capacity) = index.List(ShortlistKeys.Slot(ranked[r]));
                    var padded = Math.Min((count + 3) & ~3, capacity);
                    if (scores.Length < padded)
                    {
                        ArrayPool<int>.Shared.Return(scores);
                        scores = ArrayPool<int>.Shared.Rent(padded);
                    }

                    QuantizedVectors.ScoreNibbleCodes(q, codes.AsSpan(start * width, padded * width), scores.AsSpan(0, padded));
                    for (var i = 0; i < count; i++)
                    {
                        // A stale entry (the slot was overwritten or freed since it was listed) or an unselected slot.
                        var slot = slots[start + i];
                        if (slot < 0 || (selection is not null && !selection.Contains(slot)))
                        {
                            continue;
                        }

                        visited++;
                        candidates.Add(ShortlistKeys.Key(scores[i] * codeScales[start + i], slot));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(scores);
        }

        // As the scan's coarse path: the int8 rows pick the shortlist from the best 4-bit candidates.
        candidates.KeepTop(_options.CoarseFactor > 0 ? shortlist * _options.CoarseFactor : candidates.Count);
        Refine(candidates, q, shortlist);
        return Finish(candidates.Keys, query, q, limit);
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
                    index.Remove(slot);
                }
            }
            else if (!listed || index.GenerationOf(slot) != generation)
            {
                index.Assign(slot, generation, VectorAt(slot));
            }
        }

        _index = index;
    }
}

using System.Buffers;
using System.Numerics.Tensors;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// An inverted file over k-means centroids (IVF) for one segment's dense vectors: each live slot is listed under its
/// nearest centroid, and a search visits the clusters whose centroids score best against the query until it has
/// scored enough slots (approximate by design, as Qdrant's HNSW is; recall measured in docs/vector.md).
/// Lists hold (slot, generation) pairs and are kept like the sparse postings: an entry is valid while the slot still
/// holds the entry of that generation; an overwrite appends a new entry, a delete leaves a stale one, and a list is
/// compacted once most of it is stale. Mutated only under the store's write lock; searched under its read lock.
/// </summary>
internal sealed class ClusterIndex
{
    private readonly float[] _centroids;
    private readonly float[] _means;
    private readonly ClusterList[] _lists;
    private int[] _clusterOf = [];
    private int[] _generationOf = [];

    private ClusterIndex(float[] centroids, float[] means, int clusters, int dimensions, int builtCount, long changes)
    {
        _centroids = centroids;
        _means = means;
        Clusters = clusters;
        Dimensions = dimensions;
        BuiltCount = builtCount;
        Changes = changes;
        _lists = new ClusterList[clusters];
        for (var c = 0; c < clusters; c++)
        {
            _lists[c] = new ClusterList();
        }
    }

    public int Clusters { get; }

    public int Dimensions { get; }

    /// <summary>Live pins of the segment when the build took its snapshot.</summary>
    public int BuiltCount { get; }

    /// <summary>The segment's change counter at the snapshot (the index reflects exactly the segment as it was then,
    /// plus the writes assigned since).</summary>
    public long Changes { get; }

    public ReadOnlySpan<float> Centroid(int cluster) => _centroids.AsSpan(cluster * Dimensions, Dimensions);

    /// <summary>The list of a cluster: slots and the generation each was listed with; valid entries are those whose
    /// generation is still the slot's.</summary>
    public (int[] Slots, int[] Generations, int Count) List(int cluster)
    {
        var list = _lists[cluster];
        return (list.Slots, list.Generations, list.Count);
    }

    /// <summary>The cluster a slot is listed under, -1 when none.</summary>
    public int ClusterOf(int slot) => slot < _clusterOf.Length ? _clusterOf[slot] : -1;

    /// <summary>The generation the slot is listed with (meaningful when <see cref="ClusterOf"/> is not -1).</summary>
    public int GenerationOf(int slot) => slot < _generationOf.Length ? _generationOf[slot] : 0;

    /// <summary>Nearest centroid by dot product (vectors and centroids are normalised); ties to the lower cluster.</summary>
    public int Nearest(ReadOnlySpan<float> vector) => Nearest(_centroids, Clusters, Dimensions, vector);

    /// <summary>Lists <paramref name="slot"/> (now holding the entry of <paramref name="generation"/>) under its nearest
    /// centroid; an entry it had under another or the same cluster becomes stale. Call after the segment's generation of
    /// the slot was updated.</summary>
    public void Assign(int slot, int generation, ReadOnlySpan<float> vector, int[] generations) =>
        AssignTo(slot, generation, Nearest(vector), generations);

    /// <summary>Forgets the slot (its pin was deleted; the segment's generation of the slot is already 0).</summary>
    public void Remove(int slot, int[] generations)
    {
        var old = ClusterOf(slot);
        if (old >= 0)
        {
            _clusterOf[slot] = -1;
            _lists[old].MarkStale(generations);
        }
    }

    private void AssignTo(int slot, int generation, int cluster, int[] generations)
    {
        if (slot >= _clusterOf.Length)
        {
            var length = Math.Max(slot + 1, Math.Max(1024, _clusterOf.Length * 2));
            var first = _clusterOf.Length;
            Array.Resize(ref _clusterOf, length);
            Array.Resize(ref _generationOf, length);
            _clusterOf.AsSpan(first).Fill(-1);
        }

        var old = _clusterOf[slot];
        _clusterOf[slot] = cluster;
        _generationOf[slot] = generation;
        _lists[cluster].Add(slot, generation);
        if (old >= 0)
        {
            _lists[old].MarkStale(generations);
        }
    }

    /// <summary>The mean of the vectors listed under the cluster at build time (not normalised).</summary>
    public ReadOnlySpan<float> Mean(int cluster) => _means.AsSpan(cluster * Dimensions, Dimensions);

    /// <summary>Writes each cluster's score against the query into <paramref name="scores"/> and the clusters best first
    /// into <paramref name="order"/> (equal scores by cluster number). The score is the query's dot product with the
    /// mean of the cluster's vectors, i.e. its members' mean score, not with the normalised centroid: when every vector
    /// shares a large common direction (long product titles), dividing by the mean's length would rank loose clusters
    /// first whatever the query.</summary>
    public void Rank(ReadOnlySpan<float> query, Span<float> scores, Span<int> order)
    {
        // One primitive sort of packed keys: the score's bits in an order-preserving form (best first) above the
        // cluster number, so equal scores keep ascending cluster numbers without a second pass.
        var keys = ArrayPool<ulong>.Shared.Rent(Clusters);
        for (var c = 0; c < Clusters; c++)
        {
            scores[c] = TensorPrimitives.Dot(Mean(c), query);
            keys[c] = ((ulong)Descending(scores[c]) << 32) | (uint)c;
        }

        keys.AsSpan(0, Clusters).Sort();
        for (var r = 0; r < Clusters; r++)
        {
            order[r] = (int)(uint)keys[r];
        }

        ArrayPool<ulong>.Shared.Return(keys);
    }

    /// <summary>A key whose ascending unsigned order is the descending order of <paramref name="score"/> (+0 and -0
    /// equal, as they compare).</summary>
    internal static uint Descending(float score)
    {
        var bits = BitConverter.SingleToUInt32Bits(score == 0 ? 0f : score);
        var ascending = (bits & 0x8000_0000) != 0 ? ~bits : bits | 0x8000_0000;
        return ~ascending;
    }

    /// <summary>
    /// Trains <paramref name="clusters"/> centroids on <paramref name="sample"/> (<paramref name="count"/> vectors of
    /// <paramref name="dimensions"/> floats, row after row): spherical k-means (centroids are normalised means, points
    /// go to the centroid with the highest dot product), seeded by k-means++ with a fixed seed and run for
    /// <paramref name="iterations"/> Lloyd rounds or until no point moves. Deterministic for the same sample in the same
    /// order. A cluster left empty keeps its previous centroid.
    /// </summary>
    public static float[] Train(float[] sample, int count, int dimensions, int clusters, int iterations, int seed, CancellationToken cancellationToken)
    {
        clusters = Math.Clamp(clusters, 1, Math.Max(1, count));
        var centroids = new float[clusters * dimensions];
        if (count == 0)
        {
            return centroids;
        }

        Span<float> Row(int i) => sample.AsSpan(i * dimensions, dimensions);

        // k-means++: the first centre uniformly, each next one with probability proportional to the squared distance
        // to the nearest centre chosen so far (for unit vectors, |a - b|^2 = 2 - 2 a.b).
        var random = new Random(seed);
        var nearest = new double[count];
        Row(random.Next(count)).CopyTo(centroids.AsSpan(0, dimensions));
        for (var i = 0; i < count; i++)
        {
            nearest[i] = Math.Max(0, 2 - (2 * TensorPrimitives.Dot(Row(i), centroids.AsSpan(0, dimensions))));
        }

        for (var c = 1; c < clusters; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var total = 0.0;
            foreach (var d in nearest)
            {
                total += d;
            }

            var pick = count - 1;
            if (total > 0)
            {
                var target = random.NextDouble() * total;
                for (var i = 0; i < count; i++)
                {
                    target -= nearest[i];
                    if (target < 0)
                    {
                        pick = i;
                        break;
                    }
                }
            }
            else
            {
                pick = random.Next(count);
            }

            var centre = centroids.AsSpan(c * dimensions, dimensions);
            Row(pick).CopyTo(centre);
            for (var i = 0; i < count; i++)
            {
                nearest[i] = Math.Min(nearest[i], Math.Max(0, 2 - (2 * TensorPrimitives.Dot(Row(i), centre))));
            }
        }

        // Lloyd rounds.
        var assignment = new int[count];
        assignment.AsSpan().Fill(-1);
        var sums = new double[clusters * dimensions];
        var sizes = new int[clusters];
        for (var round = 0; round < iterations; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Each point's nearest centre is independent of the others: split over the cores, same result.
            var moved = 0;
            Parallel.For(0, (count + 1023) / 1024, new ParallelOptions { CancellationToken = cancellationToken }, part =>
            {
                var changed = 0;
                for (var i = part * 1024; i < Math.Min(count, (part + 1) * 1024); i++)
                {
                    var c = Nearest(centroids, clusters, dimensions, sample.AsSpan(i * dimensions, dimensions));
                    if (c != assignment[i])
                    {
                        assignment[i] = c;
                        changed++;
                    }
                }

                Interlocked.Add(ref moved, changed);
            });

            if (moved == 0)
            {
                break;
            }

            Array.Clear(sums);
            Array.Clear(sizes);
            for (var i = 0; i < count; i++)
            {
                var c = assignment[i];
                sizes[c]++;
                var row = Row(i);
                var sum = sums.AsSpan(c * dimensions, dimensions);
                for (var d = 0; d < dimensions; d++)
                {
                    sum[d] += row[d];
                }
            }

            for (var c = 0; c < clusters; c++)
            {
                if (sizes[c] == 0)
                {
                    continue;
                }

                var sum = sums.AsSpan(c * dimensions, dimensions);
                var norm = 0.0;
                foreach (var x in sum)
                {
                    norm += x * x;
                }

                if (norm == 0)
                {
                    continue;
                }

                var inverse = 1 / Math.Sqrt(norm);
                var centre = centroids.AsSpan(c * dimensions, dimensions);
                for (var d = 0; d < dimensions; d++)
                {
                    centre[d] = (float)(sum[d] * inverse);
                }
            }
        }

        return centroids;
    }

    /// <summary>An index with these centroids and member means whose lists hold the given assignment (slots, their
    /// generations and clusters, in any order; each list is kept in slot order, the order a scan streams the rows best
    /// in).</summary>
    public static ClusterIndex Create(
        float[] centroids, float[] means, int clusters, int dimensions, int builtCount, long changes,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> generations, ReadOnlySpan<int> assigned)
    {
        var index = new ClusterIndex(centroids, means, clusters, dimensions, builtCount, changes);
        var order = new int[slots.Length];
        var keys = slots.ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        var none = Array.Empty<int>();
        foreach (var i in order)
        {
            if (assigned[i] >= 0)
            {
                index.AssignTo(slots[i], generations[i], assigned[i], none);
            }
        }

        return index;
    }

    public static int Nearest(float[] centroids, int clusters, int dimensions, ReadOnlySpan<float> vector)
    {
        var best = 0;
        var bestScore = float.NegativeInfinity;
        for (var c = 0; c < clusters; c++)
        {
            var score = TensorPrimitives.Dot(centroids.AsSpan(c * dimensions, dimensions), vector);
            if (score > bestScore)
            {
                best = c;
                bestScore = score;
            }
        }

        return best;
    }

    private sealed class ClusterList
    {
        public int[] Slots = new int[16];
        public int[] Generations = new int[16];
        public int Count;
        public int Stale;

        public void Add(int slot, int generation)
        {
            if (Count == Slots.Length)
            {
                Array.Resize(ref Slots, Count * 2);
                Array.Resize(ref Generations, Count * 2);
            }

            Slots[Count] = slot;
            Generations[Count] = generation;
            Count++;
        }

        /// <summary>One more entry of the list is stale; compacts (as <c>Segment.Postings</c> do) once more than half
        /// are. <paramref name="generations"/> is the segment's generation per slot (0 when free).</summary>
        public void MarkStale(int[] generations)
        {
            if (++Stale <= Count / 2 || generations.Length == 0)
            {
                return;
            }

            var kept = 0;
            for (var i = 0; i < Count; i++)
            {
                if (Slots[i] < generations.Length && generations[Slots[i]] == Generations[i])
                {
                    Slots[kept] = Slots[i];
                    Generations[kept] = Generations[i];
                    kept++;
                }
            }

            Count = kept;
            Stale = 0;
        }
    }
}

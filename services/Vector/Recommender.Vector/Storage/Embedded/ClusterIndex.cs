using System.Buffers;
using System.Numerics.Tensors;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// An inverted file over k-means centroids (IVF) for one segment's dense vectors: each live slot is listed under its
/// nearest centroid, and a search visits the clusters whose centroids score best against the query until it has
/// scored enough slots (approximate by design, as Qdrant's HNSW is; recall measured in docs/vector.md).
/// Each list keeps, next to each slot, the slot's 4-bit code (the same codes as <see cref="QuantizedVectors"/>' first
/// pass, <see cref="QuantizedVectors.QuantizeNibbles"/>) and its scale, so a search reads a visited cluster's codes in
/// order, as FAISS's IVF lists do, instead of jumping to each member's row. The lists are ranges of three flat arrays
/// (slots, codes, scales; a cluster's start, count and capacity in plain int arrays), so finding a list chases no
/// pointers: a list that outgrows its range moves to the end with twice the room. An overwritten or deleted slot's
/// entry is marked stale in place (its slot set to -1, found through the slot's position), and a list is compacted once
/// most of it is stale. Mutated only under the store's write lock; searched under its read lock.
/// </summary>
internal sealed class ClusterIndex
{
    private readonly float[] _centroids;
    private readonly sbyte[] _meanRows;
    private readonly float[] _meanScales;
    private readonly int[] _meanSums;
    private readonly int[] _starts;
    private readonly int[] _counts;
    private readonly int[] _capacities;
    private readonly int[] _stale;
    private int[] _slots = new int[64];
    private byte[] _codes = [];
    private float[] _scales = new float[64];
    private int _used;
    private int[] _clusterOf = [];
    private int[] _generationOf = [];
    private int[] _positionOf = [];

    private ClusterIndex(float[] centroids, float[] means, int clusters, int dimensions, int builtCount, long changes)
    {
        _centroids = centroids;
        Clusters = clusters;
        Dimensions = dimensions;
        CodeWidth = QuantizedVectors.NibbleBytes(dimensions);
        BuiltCount = builtCount;
        Changes = changes;
        _starts = new int[clusters];
        _counts = new int[clusters];
        _capacities = new int[clusters];
        _stale = new int[clusters];
        _codes = new byte[_slots.Length * CodeWidth];

        // int8 copies of the means rank the clusters for a query (PreparedQuery's int8 dot products).
        _meanRows = new sbyte[clusters * dimensions];
        _meanScales = new float[clusters];
        _meanSums = new int[clusters];
        for (var c = 0; c < clusters; c++)
        {
            var row = _meanRows.AsSpan(c * dimensions, dimensions);
            _meanScales[c] = Int8Vectors.Quantize(means.AsSpan(c * dimensions, dimensions), row);
            var sum = 0;
            foreach (var x in row)
            {
                sum += x;
            }

            _meanSums[c] = sum;
        }
    }

    public int Clusters { get; }

    public int Dimensions { get; }

    /// <summary>Bytes of one listed 4-bit code (<see cref="QuantizedVectors.NibbleBytes"/>); 0 when the dimensions are not
    /// a multiple of 64: the lists then keep no codes and the segment scans instead.</summary>
    public int CodeWidth { get; }

    /// <summary>Live pins of the segment when the build took its snapshot.</summary>
    public int BuiltCount { get; }

    /// <summary>The segment's change counter at the snapshot (the index reflects exactly the segment as it was then,
    /// plus the writes assigned since).</summary>
    public long Changes { get; }

    /// <summary>Slots listed now (valid entries of every list).</summary>
    public int Listed { get; private set; }

    public ReadOnlySpan<float> Centroid(int cluster) => _centroids.AsSpan(cluster * Dimensions, Dimensions);

    /// <summary>The entries of every list: a slot per entry (-1 when stale); a list is the range
    /// <see cref="List"/> gives.</summary>
    public int[] Slots => _slots;

    /// <summary>The 4-bit code of each entry: <see cref="CodeWidth"/> bytes at entry * width.</summary>
    public byte[] Codes => _codes;

    /// <summary>The scale of each entry's code.</summary>
    public float[] Scales => _scales;

    /// <summary>The range of a cluster's entries in <see cref="Slots"/>, <see cref="Codes"/> and <see cref="Scales"/>;
    /// <paramref name="Capacity"/> (a multiple of 4, at least the count) entries past the start belong to the list.</summary>
    public (int Start, int Count, int Capacity) List(int cluster) => (_starts[cluster], _counts[cluster], _capacities[cluster]);

    /// <summary>Asks for a list's slots, codes and scales to be brought into cache (a hint; see <see cref="MemoryPrefetch"/>).</summary>
    public void Prefetch(int cluster)
    {
        var start = _starts[cluster];
        var count = _counts[cluster];
        MemoryPrefetch.Row(_slots.AsSpan(start, count));
        MemoryPrefetch.Row(_codes.AsSpan(start * CodeWidth, count * CodeWidth));
        MemoryPrefetch.Row(_scales.AsSpan(start, count));
    }

    /// <summary>The cluster a slot is listed under, -1 when none.</summary>
    public int ClusterOf(int slot) => slot < _clusterOf.Length ? _clusterOf[slot] : -1;

    /// <summary>The generation the slot is listed with (meaningful when <see cref="ClusterOf"/> is not -1).</summary>
    public int GenerationOf(int slot) => slot < _generationOf.Length ? _generationOf[slot] : 0;

    /// <summary>Nearest centroid by dot product (vectors and centroids are normalised); ties to the lower cluster.</summary>
    public int Nearest(ReadOnlySpan<float> vector) => Nearest(_centroids, Clusters, Dimensions, vector);

    /// <summary>Lists <paramref name="slot"/> (now holding the entry of <paramref name="generation"/>) under its nearest
    /// centroid, with its 4-bit code; an entry it had before becomes stale.</summary>
    public void Assign(int slot, int generation, ReadOnlySpan<float> vector)
    {
        Span<byte> code = stackalloc byte[CodeWidth];
        var scale = CodeWidth > 0 ? QuantizedVectors.QuantizeNibbles(vector, code) : 0;
        AssignTo(slot, generation, Nearest(vector), code, scale);
    }

    /// <summary>Forgets the slot (its pin was deleted).</summary>
    public void Remove(int slot)
    {
        var old = ClusterOf(slot);
        if (old >= 0)
        {
            _clusterOf[slot] = -1;
            Kill(old, _positionOf[slot]);
        }
    }

    private void AssignTo(int slot, int generation, int cluster, ReadOnlySpan<byte> code, float scale)
    {
        if (slot >= _clusterOf.Length)
        {
            var length = Math.Max(slot + 1, Math.Max(1024, _clusterOf.Length * 2));
            var first = _clusterOf.Length;
            Array.Resize(ref _clusterOf, length);
            Array.Resize(ref _generationOf, length);
            Array.Resize(ref _positionOf, length);
            _clusterOf.AsSpan(first).Fill(-1);
        }

        var old = _clusterOf[slot];
        if (old >= 0)
        {
            Kill(old, _positionOf[slot]);
        }

        _clusterOf[slot] = cluster;
        _generationOf[slot] = generation;
        if (_counts[cluster] == _capacities[cluster])
        {
            Move(cluster, Math.Max(8, _capacities[cluster] * 2));
        }

        var at = _starts[cluster] + _counts[cluster]++;
        _slots[at] = slot;
        code.CopyTo(_codes.AsSpan(at * CodeWidth, CodeWidth));
        _scales[at] = scale;
        _positionOf[slot] = at;
        Listed++;
    }

    /// <summary>Moves a list to the end of the arrays with room for <paramref name="capacity"/> entries (its old range
    /// is left unused).</summary>
    private void Move(int cluster, int capacity)
    {
        var start = Reserve(capacity);
        var from = _starts[cluster];
        var count = _counts[cluster];
        _slots.AsSpan(from, count).CopyTo(_slots.AsSpan(start, count));
        _codes.AsSpan(from * CodeWidth, count * CodeWidth).CopyTo(_codes.AsSpan(start * CodeWidth, count * CodeWidth));
        _scales.AsSpan(from, count).CopyTo(_scales.AsSpan(start, count));
        for (var i = 0; i < count; i++)
        {
            if (_slots[start + i] is var slot and >= 0)
            {
                _positionOf[slot] = start + i;
            }
        }

        _starts[cluster] = start;
        _capacities[cluster] = capacity;
    }

    /// <summary>A new range of <paramref name="capacity"/> entries at the end of the arrays.</summary>
    private int Reserve(int capacity)
    {
        var start = _used;
        _used += capacity;
        if (_used > _slots.Length)
        {
            var length = Math.Max(_used, _slots.Length * 2);
            Array.Resize(ref _slots, length);
            Array.Resize(ref _codes, length * CodeWidth);
            Array.Resize(ref _scales, length);
        }

        return start;
    }

    /// <summary>Marks the entry stale in place; compacts the list (updating its slots' positions) once more than half
    /// of it is stale.</summary>
    private void Kill(int cluster, int position)
    {
        _slots[position] = -1;
        Listed--;
        if (++_stale[cluster] <= _counts[cluster] / 2)
        {
            return;
        }

        var start = _starts[cluster];
        var kept = start;
        for (var i = start; i < start + _counts[cluster]; i++)
        {
            var slot = _slots[i];
            if (slot < 0)
            {
                continue;
            }

            if (kept != i)
            {
                _slots[kept] = slot;
                _codes.AsSpan(i * CodeWidth, CodeWidth).CopyTo(_codes.AsSpan(kept * CodeWidth, CodeWidth));
                _scales[kept] = _scales[i];
            }

            _positionOf[slot] = kept++;
        }

        _counts[cluster] = kept - start;
        _stale[cluster] = 0;
    }

    /// <summary>Writes one key per cluster into <paramref name="keys"/> (<see cref="ShortlistKeys.Key"/> of the
    /// cluster's score and number: a larger key ranks first, equal scores by lower cluster number). The score is the
    /// int8 dot product of the query with the int8 copy of the mean of the cluster's vectors, i.e. about its members'
    /// mean score, not with the normalised centroid: when every vector shares a large common direction (long product
    /// titles), dividing by the mean's length would rank loose clusters first whatever the query.</summary>
    public void Rank(PreparedQuery query, Span<ulong> keys)
    {
        var scores = ArrayPool<int>.Shared.Rent(Clusters);
        try
        {
            QuantizedVectors.ScoreInt8Rows(query, _meanRows, _meanSums, scores.AsSpan(0, Clusters));
            for (var c = 0; c < Clusters; c++)
            {
                keys[c] = ShortlistKeys.Key(scores[c] * _meanScales[c], c);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(scores);
        }
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
    /// generations, clusters, and 4-bit codes (<see cref="CodeWidth"/> bytes each, none when it is 0) with their scales,
    /// in any order; each list is kept in slot order).</summary>
    public static ClusterIndex Create(
        float[] centroids, float[] means, int clusters, int dimensions, int builtCount, long changes,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> generations, ReadOnlySpan<int> assigned, ReadOnlySpan<byte> codes, ReadOnlySpan<float> scales)
    {
        var index = new ClusterIndex(centroids, means, clusters, dimensions, builtCount, changes);
        var order = new int[slots.Length];
        var keys = slots.ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);

        // Each list gets its members' room and a quarter more (a multiple of 4), in cluster order.
        var sizes = new int[clusters];
        foreach (var c in assigned)
        {
            if (c >= 0)
            {
                sizes[c]++;
            }
        }

        for (var c = 0; c < clusters; c++)
        {
            var capacity = (sizes[c] + (sizes[c] / 4) + 4) & ~3;
            index._starts[c] = index.Reserve(capacity);
            index._capacities[c] = capacity;
        }

        var width = index.CodeWidth;
        foreach (var i in order)
        {
            if (assigned[i] >= 0)
            {
                index.AssignTo(slots[i], generations[i], assigned[i], width > 0 ? codes.Slice(i * width, width) : [], width > 0 ? scales[i] : 0);
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
}

using System.Diagnostics;
using System.Numerics.Tensors;
using Recommender.Embeddings.Model;

namespace Recommender.Embeddings.Training;

public sealed record TrainerOptions
{
    public int Dimensions { get; init; } = 256;

    public FeatureSpec Features { get; init; } = new();

    public int Epochs { get; init; } = 2;

    public int BatchSize { get; init; } = 256;

    /// <summary>Row-wise Adagrad step size.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Softmax temperature over cosine similarities.</summary>
    public float Temperature { get; init; } = 0.05f;

    public long Seed { get; init; } = 42;

    /// <summary>Non-zero +-1 entries per row at the start (a sparse random projection).</summary>
    public int InitNonZeros { get; init; } = 1;
}

/// <summary>Progress after each epoch.</summary>
public sealed record EpochReport(int Epoch, int Pairs, double Loss, TimeSpan Elapsed);

/// <summary>
/// Trains the <see cref="CatalogEmbedder"/> table with a symmetric InfoNCE loss over in-batch negatives: each
/// anchor must pick its own positive among the batch's positives and vice versa. Gradients flow through the L2
/// normalisation and the weighted sum into the rows the batch touched, updated with row-wise Adagrad. Single-threaded
/// and driven by <see cref="SplitMix64"/>, so the same seed and data give the same weights.
/// </summary>
public sealed class EmbedderTrainer(TrainerOptions options)
{
    private readonly int _dims = options.Dimensions;
    private readonly FeatureHasher _hasher = new(options.Features);

    public float[] Train(PairSampler sampler, Action<EpochReport>? progress, CancellationToken cancellationToken, out TrainingStats stats)
    {
        options.Features.Validate();
        var rng = new SplitMix64((ulong)options.Seed);
        var rows = options.Features.Buckets;
        var table = new float[(long)rows * _dims > int.MaxValue ? throw new ArgumentException("Table too large.") : rows * _dims];
        // Start from a sparse random projection (the hashing trick: each feature row holds a few +-1 entries), so the
        // untrained model already matches words precisely; training then moves related features together.
        for (var r = 0; r < rows; r++)
        {
            var row = table.AsSpan(r * _dims, _dims);
            for (var k = 0; k < options.InitNonZeros; k++)
            {
                var bits = rng.Next();
                row[(int)(bits % (ulong)_dims)] += (bits & (1UL << 63)) != 0 ? 1f : -1f;
            }
        }

        var accumulators = new float[rows];
        var batch = new Batch(options.BatchSize, _dims);
        var started = Stopwatch.GetTimestamp();
        long pairsSeen = 0;
        double lastLoss = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var pairs = sampler.Epoch(rng);
            double lossSum = 0;
            var batches = 0;
            for (var at = 0; at + 2 <= pairs.Count; at += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(options.BatchSize, pairs.Count - at);
                lossSum += Step(table, accumulators, batch, pairs, at, count);
                batches++;
                pairsSeen += count;
            }

            lastLoss = lossSum / Math.Max(1, batches);
            progress?.Invoke(new EpochReport(epoch, pairs.Count, lastLoss, Stopwatch.GetElapsedTime(started)));
        }

        stats = new TrainingStats(pairsSeen, Stopwatch.GetElapsedTime(started).TotalSeconds, lastLoss);
        return table;
    }

    private double Step(float[] table, float[] accumulators, Batch b, List<TrainingPair> pairs, int at, int n)
    {
        // Texts: anchors 0..n-1, positives n..2n-1, hard negatives 2n..3n-1 (empty when a pair has none).
        // Candidates of anchor i are the n positives and the n negatives: S is n x 2n.
        var d = _dims;
        var c = 2 * n;
        b.Reset();
        for (var i = 0; i < n; i++)
        {
            var pair = pairs[at + i];
            b.Encode(_hasher, table, pair.Anchor, i);
            b.Encode(_hasher, table, pair.Positive, n + i);
            b.Encode(_hasher, table, pair.Negative ?? [], c + i);
        }

        var invT = 1f / options.Temperature;
        var u = b.Unit.AsSpan(0, n * d);
        var w = b.Unit.AsSpan(n * d, c * d);
        var s = b.Scores.AsSpan(0, n * c);
        for (var i = 0; i < n; i++)
        {
            var ui = u.Slice(i * d, d);
            var ai = pairs[at + i].AnchorKey;
            var pi = pairs[at + i].PositiveKey;
            for (var j = 0; j < c; j++)
            {
                var other = pairs[at + (j % n)];
                var masked = j < n
                    ? j != i && (other.AnchorKey == ai || other.PositiveKey == pi)
                    : other.Negative is null || other.NegativeKey == pi;
                s[(i * c) + j] = masked ? float.NegativeInfinity : TensorPrimitives.Dot(ui, w.Slice(j * d, d)) * invT;
            }
        }

        // Row softmax (anchor -> all candidates) and column softmax over anchors for each positive:
        // dS = ((P - I) + (Q - I)) / 2n.
        double loss = 0;
        var g = b.ScoreGrad.AsSpan(0, n * c);
        g.Clear();
        var scale = 1f / (2 * n);
        for (var i = 0; i < n; i++)
        {
            var row = s.Slice(i * c, c);
            var max = TensorPrimitives.Max(row);
            double sum = 0;
            for (var j = 0; j < c; j++)
            {
                sum += Math.Exp(row[j] - max);
            }

            loss -= row[i] - max - Math.Log(sum);
            for (var j = 0; j < c; j++)
            {
                g[(i * c) + j] += (float)(Math.Exp(row[j] - max) / sum) * scale;
            }

            g[(i * c) + i] -= scale;
        }

        for (var j = 0; j < n; j++)
        {
            var max = float.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                max = Math.Max(max, s[(i * c) + j]);
            }

            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += Math.Exp(s[(i * c) + j] - max);
            }

            loss -= s[(j * c) + j] - max - Math.Log(sum);
            for (var i = 0; i < n; i++)
            {
                g[(i * c) + j] += (float)(Math.Exp(s[(i * c) + j] - max) / sum) * scale;
            }

            g[(j * c) + j] -= scale;
        }

        // dU = dS W / t, dW = dS^T U / t.
        var gu = b.UnitGrad.AsSpan(0, n * d);
        var gw = b.UnitGrad.AsSpan(n * d, c * d);
        gu.Clear();
        gw.Clear();
        for (var i = 0; i < n; i++)
        {
            var gui = gu.Slice(i * d, d);
            var ui = u.Slice(i * d, d);
            for (var j = 0; j < c; j++)
            {
                var gij = g[(i * c) + j];
                if (gij == 0f)
                {
                    continue;
                }

                TensorPrimitives.MultiplyAdd(w.Slice(j * d, d), gij * invT, gui, gui);
                var gwj = gw.Slice(j * d, d);
                TensorPrimitives.MultiplyAdd(ui, gij * invT, gwj, gwj);
            }
        }

        b.Backward(table, accumulators, options.LearningRate, 3 * n);
        return loss / (2 * n);
    }

    /// <summary>Buffers for one batch: features of each text, pooled and unit vectors, gradients per touched row.</summary>
    private sealed class Batch(int capacity, int dims)
    {
        private readonly List<int> _buckets = new(capacity * 200);
        private readonly List<float> _weights = new(capacity * 200);
        private readonly int[] _featureStart = new int[3 * capacity];
        private readonly int[] _featureEnd = new int[3 * capacity];
        private readonly float[] _norms = new float[3 * capacity];
        private readonly Dictionary<int, int> _slotOf = [];
        private readonly List<int> _touched = [];
        private float[] _rowGrad = new float[4096 * dims];

        public float[] Unit { get; } = new float[3 * capacity * dims];

        public float[] UnitGrad { get; } = new float[3 * capacity * dims];

        public float[] Scores { get; } = new float[2 * capacity * capacity];

        public float[] ScoreGrad { get; } = new float[2 * capacity * capacity];

        public void Reset()
        {
            _buckets.Clear();
            _weights.Clear();
        }

        public void Encode(FeatureHasher hasher, float[] table, IReadOnlyList<string> tokens, int slot)
        {
            _featureStart[slot] = _buckets.Count;
            hasher.Features(tokens, _buckets, _weights);
            _featureEnd[slot] = _buckets.Count;
            var x = Unit.AsSpan(slot * dims, dims);
            x.Clear();
            for (var f = _featureStart[slot]; f < _buckets.Count; f++)
            {
                TensorPrimitives.MultiplyAdd(table.AsSpan(_buckets[f] * dims, dims), _weights[f], x, x);
            }

            var norm = TensorPrimitives.Norm(x);
            _norms[slot] = norm;
            if (norm > 0)
            {
                TensorPrimitives.Divide(x, norm, x);
            }
        }

        /// <summary>Back through the normalisation and the weighted sum, then a row-wise Adagrad step.</summary>
        public void Backward(float[] table, float[] accumulators, float learningRate, int texts)
        {
            _slotOf.Clear();
            _touched.Clear();
            Span<float> dx = stackalloc float[dims];
            for (var t = 0; t < texts; t++)
            {
                var norm = _norms[t];
                if (norm <= 0)
                {
                    continue;
                }

                // dx = (g - u (u . g)) / |x|
                var unit = Unit.AsSpan(t * dims, dims);
                var grad = UnitGrad.AsSpan(t * dims, dims);
                var dot = TensorPrimitives.Dot(unit, grad);
                TensorPrimitives.MultiplyAdd(unit, -dot, grad, dx);
                TensorPrimitives.Divide(dx, norm, dx);
                var end = _featureEnd[t];
                for (var f = _featureStart[t]; f < end; f++)
                {
                    var bucket = _buckets[f];
                    if (!_slotOf.TryGetValue(bucket, out var slot))
                    {
                        slot = _touched.Count;
                        _slotOf[bucket] = slot;
                        _touched.Add(bucket);
                        if ((slot + 1) * dims > _rowGrad.Length)
                        {
                            Array.Resize(ref _rowGrad, _rowGrad.Length * 2);
                        }

                        _rowGrad.AsSpan(slot * dims, dims).Clear();
                    }

                    var rg = _rowGrad.AsSpan(slot * dims, dims);
                    TensorPrimitives.MultiplyAdd(dx, _weights[f], rg, rg);
                }
            }

            for (var slot = 0; slot < _touched.Count; slot++)
            {
                var bucket = _touched[slot];
                var rg = _rowGrad.AsSpan(slot * dims, dims);
                accumulators[bucket] += TensorPrimitives.SumOfSquares(rg) / dims;
                var step = learningRate / (MathF.Sqrt(accumulators[bucket]) + 1e-8f);
                var row = table.AsSpan(bucket * dims, dims);
                TensorPrimitives.MultiplyAdd(rg, -step, row, row);
            }
        }
    }
}

public sealed record TrainingStats(long PairsSeen, double Seconds, double FinalLoss);

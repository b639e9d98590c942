using Recommender.Contracts;

namespace Recommender.Ranking.Pipeline;

/// <summary>A retrieved pin with the signals the ranker scores.</summary>
public sealed class Candidate(PinData pin, float fused, float dense, float sparse)
{
    public PinData Pin { get; } = pin;

    public float Fused { get; } = fused;

    public float Dense { get; set; } = dense;

    public float Sparse { get; } = sparse;

    public double Score { get; set; }

    /// <summary>The pin's dense vector as retrieval returned it (for MMR diversity), or null; the tail drops it once
    /// the list is ordered.</summary>
    public float[]? Vector
    {
        get => _vector;
        set
        {
            _vector = value;
            _similarity = null;
        }
    }

    /// <summary><see cref="Vector"/> as MMR compares it: the retrieved pin's shared int8 copy when the vector is that
    /// pin's, else one made from <see cref="Vector"/> on first use; null without a vector.</summary>
    public Tail.SimilarityVector? Similarity =>
        _similarity ??= Retrieved is { } r && ReferenceEquals(r.Vector, _vector) && _vector is not null
            ? r.Similarity
            : Tail.SimilarityVector.From(_vector);

    private float[]? _vector;
    private Tail.SimilarityVector? _similarity;

    /// <summary>What the business rules and diversity did to this candidate (see <see cref="Tail.TailEffects"/>).</summary>
    public Tail.TailEffects Effects { get; set; }

    /// <summary>Score changes from boost, bury and out-of-stock rules, in model-score units.</summary>
    public double BoostDelta { get; set; }

    public double BuryDelta { get; set; }

    public double OutOfStockDelta { get; set; }

    /// <summary>The model's order before diversity (0-based), to explain a demotion.</summary>
    public int ModelRank { get; set; }

    private double[]? _featureBlock;
    private int _featureOffset;

    /// <summary>The candidate's features: its row of the block the ranking bound it to (<see cref="BindFeatures"/>), or
    /// an array of its own, made on first use.</summary>
    public FeatureVector Features => new(_featureBlock ??= new double[RankingFeature.Count], _featureOffset);

    /// <summary>The retrieved pin this candidate came from, when it came through <see cref="RetrievedPins"/>: the
    /// feature extractor keeps the pin's terms on it instead of looking them up by id.</summary>
    public RetrievedPin? Retrieved { get; init; }

    /// <summary>The candidate's row in the leaf buffer of the ranking that scored it last (see
    /// <see cref="ILeafExplainer"/>).</summary>
    internal int ScoredRow { get; set; }

    /// <summary>Makes row <paramref name="row"/> of <paramref name="block"/> this candidate's features (the row's
    /// current values), or with a null block gives it back an array of its own on next use.</summary>
    internal void BindFeatures(double[]? block, int row)
    {
        _featureBlock = block;
        _featureOffset = block is null ? 0 : row * RankingFeature.Count;
    }
}

/// <summary>The features of one candidate, by <see cref="RankingFeature"/> index: a view of its row, so the features of a
/// ranked list can sit in one pooled block instead of an array per candidate.</summary>
public readonly struct FeatureVector(double[] block, int offset)
{
    public Span<double> Values => block.AsSpan(offset, RankingFeature.Count);

    public ref double this[int feature] => ref Values[feature];

    /// <summary>A float32 copy: the type the ranker's trees compare, and training's rows.</summary>
    public float[] ToSingleArray()
    {
        var row = new float[RankingFeature.Count];
        CopyTo(row);
        return row;
    }

    /// <summary>The features narrowed to float32 into <paramref name="row"/> (a kept list's block, training's rows).</summary>
    public void CopyTo(Span<float> row)
    {
        var values = Values;
        for (var f = 0; f < values.Length; f++)
        {
            row[f] = (float)values[f];
        }
    }
}

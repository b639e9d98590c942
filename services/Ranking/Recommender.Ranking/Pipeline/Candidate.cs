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
    public float[]? Vector { get; set; }

    /// <summary>What the business rules and diversity did to this candidate (see <see cref="Tail.TailEffects"/>).</summary>
    public Tail.TailEffects Effects { get; set; }

    /// <summary>Score changes from boost, bury and out-of-stock rules, in model-score units.</summary>
    public double BoostDelta { get; set; }

    public double BuryDelta { get; set; }

    public double OutOfStockDelta { get; set; }

    /// <summary>The model's order before diversity (0-based), to explain a demotion.</summary>
    public int ModelRank { get; set; }

    public FeatureVector Features { get; } = new();

    /// <summary>The retrieved pin this candidate came from, when it came through <see cref="RetrievedPins"/>: the
    /// feature extractor keeps the pin's terms on it instead of looking them up by id.</summary>
    public RetrievedPin? Retrieved { get; init; }

    /// <summary>The candidate's row in the leaf buffer of the ranking that scored it last (see
    /// <see cref="ILeafExplainer"/>).</summary>
    internal int ScoredRow { get; set; }
}

/// <summary>The features of one candidate, by <see cref="RankingFeature"/> index.</summary>
public sealed class FeatureVector
{
    public double[] Values { get; } = new double[RankingFeature.Count];

    public double this[int feature]
    {
        get => Values[feature];
        set => Values[feature] = value;
    }
}

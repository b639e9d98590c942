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

    public FeatureVector Features { get; } = new();
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

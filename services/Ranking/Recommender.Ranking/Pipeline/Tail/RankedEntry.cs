using Recommender.Contracts;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>What a later page shows of one ranked pin: the pin, its score, and what rules and diversity did to it.</summary>
public readonly struct RankedEntry(Candidate c)
{
    public PinData Pin { get; } = c.Pin;

    /// <summary>The pin as a result's message: the retrieved pin's shared one (<see cref="RetrievedPin.Message"/>), or
    /// a new one for a candidate that did not come through <see cref="RetrievedPins"/>.</summary>
    public Contracts.Catalog.V1.Pin Message => _retrieved?.Message ?? Pin.ToProto();

    private readonly RetrievedPin? _retrieved = c.Retrieved;

    public double Score { get; } = c.Score;

    public TailEffects Effects { get; } = c.Effects;

    public int ModelRank { get; } = c.ModelRank;

    public double BoostDelta { get; } = c.BoostDelta;

    public double BuryDelta { get; } = c.BuryDelta;

    public double OutOfStockDelta { get; } = c.OutOfStockDelta;
}

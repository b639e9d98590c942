namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>Which tail steps moved a candidate; each shows in its explanation.</summary>
[Flags]
public enum TailEffects
{
    None = 0,
    Boosted = 1,
    Buried = 2,
    OutOfStock = 4,
    Pinned = 8,
    Diversified = 16,
}

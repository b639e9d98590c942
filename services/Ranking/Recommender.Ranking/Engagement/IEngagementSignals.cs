namespace Recommender.Ranking.Engagement;

/// <summary>
/// What the ranker reads from engagement: per-pin popularity and click-through (decayed over time) and the
/// user's / session's affinity. Implementations must answer without I/O; the ranker calls them on the hot path.
/// </summary>
public interface IEngagementSignals
{
    /// <summary>The tenant's pin signals for one ranked list (each pin's decayed popularity and smoothed click-through
    /// rate): the tenant is looked up and the clock read once, then each candidate is one lookup by pin id.</summary>
    ITenantPinSignals Pins(string tenant);

    /// <summary>The affinity of a user and/or session (merged), or null when neither has engaged yet.</summary>
    IAffinity? Affinity(string tenant, string? userId, string? sessionId);
}

/// <summary>One tenant's pin signals as of one moment (see <see cref="IEngagementSignals.Pins"/>).</summary>
public interface ITenantPinSignals
{
    /// <summary>The pin's signals; <see cref="PinSignals.None"/> when unseen.</summary>
    PinSignals Of(string pinId);
}

/// <summary>A pin's engagement signals. <paramref name="Popularity"/> is a decayed, kind-weighted count (&gt;= 0);
/// <paramref name="Ctr"/> a smoothed click-through rate in [0, 1].</summary>
public readonly record struct PinSignals(double Popularity, double Ctr)
{
    public static readonly PinSignals None = new(0, 0);
}

/// <summary>A user's (or session's) taste, each in [0, 1]: 1 for what they engage with most.</summary>
public interface IAffinity
{
    double Brand(string brand);

    double Category(IReadOnlyList<string> categoryPath);

    double PriceBand(double? price);
}

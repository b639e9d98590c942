namespace Recommender.Ranking.Engagement;

/// <summary>The signals of a catalog nobody has engaged with yet (popularity, CTR and affinity all 0): offline
/// training and evaluation, where engagement features must be what a fresh catalog has.</summary>
public sealed class NoEngagement : IEngagementSignals
{
    public static readonly NoEngagement Instance = new();

    /// <summary>The signals of a tenant with no engaged pin: every pin unseen.</summary>
    public static readonly ITenantPinSignals NoPins = new Unseen();

    public ITenantPinSignals Pins(string tenant) => NoPins;

    public IAffinity? Affinity(string tenant, string? userId, string? sessionId) => null;

    private sealed class Unseen : ITenantPinSignals
    {
        public PinSignals Of(string pinId) => PinSignals.None;
    }
}

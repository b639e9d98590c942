using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking.Engagement;

/// <summary>Section "Ranking:Engagement": decay, caps and the engagement log of this replica.</summary>
public sealed class EngagementOptions
{
    public const string Section = "Ranking:Engagement";

    /// <summary>Stable id of this replica (a StatefulSet pod name, e.g. ranking-0). Each replica consumes every
    /// engagement event from its own durable queue <c>pin-engaged-{ReplicaId}</c>; null or empty means the machine
    /// name. It must not change across restarts, or the old queue's messages are left behind.</summary>
    [RegularExpression("^[A-Za-z0-9._-]{0,100}$")]
    public string? ReplicaId { get; set; }

    /// <summary>Where the append-only engagement and search logs go (relative to the content root); empty turns the
    /// log off (state is then lost on restart).</summary>
    public string? DataPath { get; set; } = "data/engagement";

    /// <summary>Popularity, CTR and affinity halve every this many hours.</summary>
    [Range(0.01, 24 * 365)]
    public double HalfLifeHours { get; set; } = 72;

    /// <summary>On start, log files of the last this many days are replayed (older events weigh less than
    /// 2^-(days*24/HalfLifeHours)). Must cover the dedupe window.</summary>
    [Range(1, 3650)]
    public int ReplayDays { get; set; } = 14;

    [Range(1, 100_000_000)]
    public int MaxPins { get; set; } = 1_000_000;

    [Range(1, 100_000_000)]
    public int MaxUsers { get; set; } = 200_000;

    [Range(1, 100_000_000)]
    public int MaxSessions { get; set; } = 200_000;

    /// <summary>Brands (and, separately, categories and price bands) kept per user or session: the top by weight.</summary>
    [Range(1, 1_000)]
    public int TopKPerUser { get; set; } = 20;

    /// <summary>Recently engaged pins remembered per user or session (the home feed's seeds).</summary>
    [Range(1, 1_000)]
    public int RecentPinsPerUser { get; set; } = 10;

    /// <summary>Idempotency keys are remembered this long (longer than any broker redelivery or publisher retry)…</summary>
    [Range(1, 24 * 365)]
    public double DedupeWindowHours { get; set; } = 48;

    /// <summary>… and at most this many (oldest forgotten first).</summary>
    [Range(1, 100_000_000)]
    public int MaxDedupeKeys { get; set; } = 2_000_000;

    /// <summary>CTR smoothing: (clicks + PriorStrength * PriorCtr) / (impressions + PriorStrength).</summary>
    [Range(0, 1)]
    public double PriorCtr { get; set; } = 0.02;

    [Range(0, 1_000_000)]
    public double PriorStrength { get; set; } = 20;

    /// <summary>A RabbitMQ replica queue nobody consumes for this long is deleted by the broker (a replica that
    /// went away for good); 0 keeps it forever.</summary>
    [Range(0, 24 * 365)]
    public double QueueExpiryHours { get; set; } = 168;

    /// <summary>Messages the engagement consumer handles at once; each fsync of the log covers all of them.</summary>
    [Range(1, 1_000)]
    public int ConcurrentMessageLimit { get; set; } = 64;

    public TimeSpan HalfLife => TimeSpan.FromHours(HalfLifeHours);

    public TimeSpan DedupeWindow => TimeSpan.FromHours(DedupeWindowHours);

    public string ResolvedReplicaId => string.IsNullOrWhiteSpace(ReplicaId) ? Sanitize(Environment.MachineName) : ReplicaId;

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? char.ToLowerInvariant(c) : '-').ToArray());
}

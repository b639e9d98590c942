using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>Section "Ranking:Pagination": ranked lists are kept per query id so later pages come from the same
/// ranking even when engagement changes scores in between.</summary>
public sealed class PaginationOptions
{
    public const string Section = "Ranking:Pagination";

    /// <summary>How long a ranked list stays available to its page tokens.</summary>
    [Range(1, 86_400)]
    public int SnapshotTtlSeconds { get; set; } = 600;

    /// <summary>Most ranked lists kept per replica: a ring of this many reused slots, each new list replacing the oldest;
    /// about 38 KB a slot at 200 candidates (pins are shared, features kept as float32).</summary>
    [Range(0, 1_000_000)]
    public int MaxSnapshots { get; set; } = 1_000;
}

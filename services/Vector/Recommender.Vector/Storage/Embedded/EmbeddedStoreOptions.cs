using System.ComponentModel.DataAnnotations;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>Section "Vector:Embedded".</summary>
public sealed class EmbeddedStoreOptions
{
    public const string Section = "Vector:Embedded";

    /// <summary>Folder of the snapshot and logs. Relative paths are under the content root. Empty keeps everything in memory only.</summary>
    public string DataPath { get; set; } = "data/vector";

    /// <summary>A log larger than this is folded into a new snapshot.</summary>
    [Range(1024, long.MaxValue)]
    public long CompactionLogBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>A tenant segment with at least this many pins also keeps int8 copies of its vectors; on such a segment a
    /// dense search over more than <see cref="ExactScanLimit"/> pins shortlists with them and rescores the shortlist
    /// exactly (approximate, measured recall@10 in docs/vector.md). 0 keeps every search exact.</summary>
    [Range(0, int.MaxValue)]
    public int QuantizeThreshold { get; set; } = 20_000;

    /// <summary>A dense search over at most this many pins (after filtering) is always exact.</summary>
    [Range(0, int.MaxValue)]
    public int ExactScanLimit { get; set; } = 2_000;

    /// <summary>Shortlist size of a quantised scan, as a multiple of the hits asked for (at least 64 more).</summary>
    [Range(1, 100)]
    public int RescoreFactor { get; set; } = 2;
}

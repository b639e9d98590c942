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
    /// dense search over more than <see cref="ExactScanLimit"/> pins is scored with them (approximate, see
    /// <see cref="FloatRescore"/>; recall measured in docs/vector.md). 0 keeps every search exact.</summary>
    [Range(0, int.MaxValue)]
    public int QuantizeThreshold { get; set; } = 20_000;

    /// <summary>A dense search over at most this many pins (after filtering) is always exact.</summary>
    [Range(0, int.MaxValue)]
    public int ExactScanLimit { get; set; } = 2_000;

    /// <summary>Shortlist size of a quantised scan (the pins the int8 rows pick; with <see cref="FloatRescore"/> they are
    /// rescored with their float vectors), as a multiple of the hits asked for, at least 64 more: 264 for Ranking's 200
    /// candidates. It also sizes the 4-bit pass (<see cref="CoarseFactor"/>) and the index's probe floor. Session 12
    /// lowered it from 2 (400 rows, each 1 KB and scattered): recall@200 against exact 0.9997 for the scan (0.9999
    /// before) on the load catalog, Home Depot's run unchanged (docs/vector.md).</summary>
    [Range(1, 100)]
    public int RescoreFactor { get; set; } = 1;

    /// <summary>Whether a quantised search ends by rescoring its shortlist with the float vectors: exact cosines, and the
    /// exact order within the shortlist. Off (the default) the int8 pass's scores are final, each the int8 estimate of
    /// the cosine (dot of the int8 copies times both scales), so the shortlist's scattered float rows (1 KB each at 256
    /// dimensions) are never read: on the load catalog's query mix the estimates are within 0.006 of the exact cosines
    /// (mean 0.001), 99.1% of the 200 hits are the same, and the dense branch costs about a quarter less CPU
    /// (docs/vector.md). Searches that stay exact (at most <see cref="ExactScanLimit"/> pins selected, or an
    /// unquantised segment) are exact either way.</summary>
    public bool FloatRescore { get; set; }

    /// <summary>A quantised scan of every pin (and the clustered index's walk) first scores 4-bit codes of the vectors
    /// (half the bytes of the int8 rows) and keeps this many times the shortlist for the int8 copies to choose from; 0
    /// scans the int8 rows directly. 3 with a shortlist of 264 refines 792 int8 rows, as 2 did with the 400 of
    /// <see cref="RescoreFactor"/> 2 (docs/vector.md).</summary>
    [Range(0, 64)]
    public int CoarseFactor { get; set; } = 3;

    /// <summary>A quantised segment with at least this many live pins gets a clustered index (IVF: k-means centroids,
    /// each pin listed under its nearest), built in the background; until it is ready searches use the int8 scan of
    /// every pin. A dense search through it scores only the pins of the clusters nearest the query (approximate, recall
    /// measured in docs/vector.md). Whether searches walk the index at all is measured per catalog first
    /// (<see cref="IvfTargetRecall"/>): it keeps recall@200 at 0.986-0.999 on the load catalog but only 0.68-0.83 on
    /// Home Depot with one-word queries, where the calibration keeps the scan. 0 turns the index off. The index needs the
    /// int8 copies: a segment gets one from the larger of this and <see cref="QuantizeThreshold"/> (none when that is 0).</summary>
    [Range(0, int.MaxValue)]
    public int IvfThreshold { get; set; } = 20_000;

    /// <summary>Searches walk a new index only once it is measured to find this share of what the scan finds: the
    /// first <see cref="IvfCalibrationQueries"/> unfiltered dense searches after an index is installed scan as before and
    /// are kept; then each is run through the walk at <see cref="IvfProbeFraction"/>, twice and four times it, and
    /// searches use the smallest fraction whose mean recall of the scan's top hits reaches this, or keep scanning when
    /// none does (logged either way). Deterministic for the same searches in the same order. 0 walks at once, unmeasured.</summary>
    [Range(0.0, 1.0)]
    public double IvfTargetRecall { get; set; } = 0.95;

    /// <summary>Searches the calibration of a new index measures (<see cref="IvfTargetRecall"/>).</summary>
    [Range(1, 10_000)]
    public int IvfCalibrationQueries { get; set; } = 64;

    /// <summary>Probe budget of a clustered search: clusters are visited best first until at least this fraction of the
    /// selected pins (those passing the filter) was scored.</summary>
    [Range(0.001, 1.0)]
    public double IvfProbeFraction { get; set; } = 0.05;

    /// <summary>Probe budget floor: at least this many shortlists' worth of selected pins are scored
    /// (the shortlist is <c>max(RescoreFactor * limit, limit + 64)</c>).</summary>
    [Range(1, 1_000)]
    public int IvfMinProbeShortlists { get; set; } = 8;

    /// <summary>Number of clusters; 0 = 8 times the square root of the live pins at build time (1,876 at 55,000 pins:
    /// ~29 pins per cluster; measured against sqrt(n) and 4 sqrt(n) in docs/vector.md).</summary>
    [Range(0, 1_000_000)]
    public int IvfClusters { get; set; }

    /// <summary>Pins the centroids are trained on, per cluster (evenly spread over the pins in id order; at most all).</summary>
    [Range(4, 10_000)]
    public int IvfSamplePerCluster { get; set; } = 16;

    /// <summary>Lloyd rounds of k-means after the k-means++ seeding (fewer if no pin moves).</summary>
    [Range(1, 100)]
    public int IvfIterations { get; set; } = 8;

    /// <summary>The index is rebuilt in the background once the segment holds this many times the pins it was built
    /// from (pins added since are assigned to their nearest centroid as they come).</summary>
    [Range(1.1, 1_000.0)]
    public double IvfRebuildGrowth { get; set; } = 2.0;
}

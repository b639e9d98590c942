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
}

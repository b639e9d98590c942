using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking.Model;

/// <summary>Section "Ranking:Model": which ranker artifact to serve.</summary>
public sealed class RankerModelOptions
{
    public const string Section = "Ranking:Model";

    /// <summary>A ranker artifact folder (<c>train --out DIR</c> writes <c>DIR/ranker</c>); null or empty = the
    /// built-in label-free <c>LinearRanker</c>. The folder is watched: a new version written there is swapped in.</summary>
    public string? Path { get; set; }

    /// <summary>How often the folder's manifest is checked for a new version.</summary>
    [Range(50, 3_600_000)]
    public int ReloadIntervalMs { get; set; } = 2_000;

    public static bool PathIsValid(RankerModelOptions options) =>
        string.IsNullOrWhiteSpace(options.Path) || File.Exists(System.IO.Path.Combine(options.Path, RankerManifest.FileName));
}

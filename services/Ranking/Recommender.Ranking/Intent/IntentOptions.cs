using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking.Intent;

/// <summary>Section "Intent": the embedded parser and how often it relearns the catalog.</summary>
public sealed class IntentOptions
{
    public const string Section = "Intent";

    /// <summary>Below this probability the classifier's category is not reported.</summary>
    [Range(0.0, 1.0)]
    public double CategoryThreshold { get; set; } = 0.5;

    /// <summary>How often each tenant's pin count is checked against the one its model was built from.</summary>
    [Range(1, 86_400)]
    public int RefreshSeconds { get; set; } = 30;

    /// <summary>Rebuild when the pin count moved by more than this share since the last build.</summary>
    [Range(0.0, 10.0)]
    public double RebuildChangeRatio { get; set; } = 0.1;

    /// <summary>Rebuild a model this old whenever the count moved at all (catches edits that keep the count).</summary>
    [Range(1, 10_080)]
    public int MaxModelAgeMinutes { get; set; } = 60;

    /// <summary>Most pins read per tenant to learn from (a larger catalog is sampled by id order).</summary>
    [Range(100, 10_000_000)]
    public int MaxPins { get; set; } = 200_000;

    /// <summary>Most titles the category classifier trains on.</summary>
    [Range(100, 1_000_000)]
    public int MaxClassifierRows { get; set; } = 30_000;

    /// <summary>Pins per ListPins call.</summary>
    [Range(1, 1_000)]
    public int ListPageSize { get; set; } = 1_000;

    /// <summary>Tenants whose catalog model is built at start; others are built on their first search.</summary>
    public List<string> PrewarmTenants { get; set; } = ["default"];
}

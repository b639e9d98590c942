using System.ComponentModel.DataAnnotations;

namespace Recommender.Embedded;

/// <summary>Section "SampleCatalog".</summary>
public sealed class SampleCatalogOptions
{
    public const string Section = "SampleCatalog";

    /// <summary>Load the sample catalog when the tenant has no pins yet.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Relative paths are resolved against the application folder.</summary>
    [Required]
    public string Path { get; set; } = "SampleData/icecat-sample.jsonl.gz";

    [Required]
    public string Tenant { get; set; } = "default";
}

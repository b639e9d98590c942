using System.ComponentModel.DataAnnotations;

namespace Recommender.Ingestion;

/// <summary>Section "Ingestion".</summary>
public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>Most pins one UpsertPins call (or one stream message) may carry.</summary>
    [Range(1, 100_000)]
    public int MaxPinsPerRequest { get; set; } = 1_000;

    /// <summary>Pins per published PinsEmbedded event.</summary>
    [Range(1, 10_000)]
    public int EventBatchSize { get; set; } = 250;
}

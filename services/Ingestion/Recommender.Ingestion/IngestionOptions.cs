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
    public int EventBatchSize { get; set; } = 1_000;

    /// <summary>Rejected rows listed per import (the count is always exact).</summary>
    [Range(1, 1_000_000)]
    public int MaxReportedErrors { get; set; } = 1_000;

    /// <summary>Finished imports whose status stays queryable.</summary>
    [Range(1, 100_000)]
    public int MaxRememberedImports { get; set; } = 100;

    /// <summary>Event batches an import buffers between reading and publishing (the backpressure bound).</summary>
    [Range(1, 1_000)]
    public int ImportBufferBatches { get; set; } = 4;
}

using System.ComponentModel.DataAnnotations;

namespace Recommender.Ranking;

/// <summary>Section "Ranking".</summary>
public sealed class RankingOptions
{
    public const string Section = "Ranking";

    /// <summary>gRPC address of the vector service (in the embedded host: its own gRPC endpoint).</summary>
    [Required]
    public Uri VectorAddress { get; set; } = new("http://localhost:5301");

    /// <summary>A Service API key for the vector service (from a secret); not needed when Auth:Mode=Development.</summary>
    public string? VectorApiKey { get; set; }

    /// <summary>Candidates fetched from the vector service and re-ranked per search.</summary>
    [Range(1, 1_000)]
    public int CandidateCount { get; set; } = 200;

    [Range(1, 100)]
    public int DefaultPageSize { get; set; } = 20;

    [Range(1, 1_000)]
    public int MaxPageSize { get; set; } = 100;

    [Range(1, 10_000)]
    public int MaxQueryLength { get; set; } = 512;

    /// <summary>Most events one TrackEngagement call may carry.</summary>
    [Range(1, 10_000)]
    public int MaxEngagementBatch { get; set; } = 500;

    /// <summary>Deadline for calls to the vector service when the caller set none.</summary>
    [Range(1, 60_000)]
    public int VectorTimeoutMs { get; set; } = 2_000;

    /// <summary>Correct misspelled query words against the catalog's words (<see cref="Intent.QuerySpeller"/>) for
    /// retrieval and features; the parsed intent keeps the original.</summary>
    public bool SpellCorrection { get; set; } = true;
}

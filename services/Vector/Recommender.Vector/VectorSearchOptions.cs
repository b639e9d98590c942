using System.ComponentModel.DataAnnotations;

namespace Recommender.Vector;

public enum VectorBackend
{
    Embedded,
    Qdrant,
}

/// <summary>Section "Vector".</summary>
public sealed class VectorSearchOptions
{
    public const string Section = "Vector";

    public VectorBackend Backend { get; set; } = VectorBackend.Embedded;

    /// <summary>Each branch of a hybrid search fetches at least this many candidates before fusion.</summary>
    [Range(1, 10_000)]
    public int MinPrefetch { get; set; } = 100;

    /// <summary>Largest result page a search may ask for.</summary>
    [Range(1, 10_000)]
    public int MaxLimit { get; set; } = 1_000;

    public int PrefetchLimit(int limit) => Math.Max(limit, MinPrefetch);
}

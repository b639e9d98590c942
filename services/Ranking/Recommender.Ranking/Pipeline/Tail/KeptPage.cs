namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>One page of a kept ranked list, copied out of <see cref="RankedListCache"/> (whose slots are reused, so a
/// page is read from this copy, never from the slot). Positions are those of the whole list.</summary>
public sealed class KeptPage
{
    private readonly RankedEntry[] _entries;
    private readonly float[] _features;

    internal KeptPage(int offset, int length)
    {
        Offset = offset;
        _entries = new RankedEntry[length];
        _features = new float[length * RankingFeature.Count];
    }

    public required string QueryId { get; init; }

    /// <summary>Position of the first copied pin.</summary>
    public int Offset { get; }

    /// <summary>Pins copied: those of the page (fewer at the end of the list).</summary>
    public int Length => _entries.Length;

    /// <summary>Pins in the whole list (all pages).</summary>
    public required int Count { get; init; }

    public required int TotalCandidates { get; init; }

    /// <summary>The model that scored the list; explanations of later pages come from it.</summary>
    public required IRankerModel Model { get; init; }

    public required Contracts.Ranking.V1.Intent? Intent { get; init; }

    /// <summary>The pin at <paramref name="position"/> of the list (0-based, within the copied page).</summary>
    public ref readonly RankedEntry this[int position] => ref _entries[position - Offset];

    /// <summary>The features of the pin at <paramref name="position"/>, widened back to double into <paramref name="into"/>.</summary>
    public void Features(int position, Span<double> into)
    {
        var row = _features.AsSpan((position - Offset) * RankingFeature.Count, RankingFeature.Count);
        for (var f = 0; f < row.Length; f++)
        {
            into[f] = row[f];
        }
    }

    internal Span<RankedEntry> Entries => _entries;

    internal Span<float> FeatureRows => _features;
}

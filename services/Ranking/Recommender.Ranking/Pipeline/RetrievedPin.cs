using Recommender.Contracts;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// One retrieved pin version as ranking keeps it between searches (<see cref="RetrievedPins"/>): its
/// <see cref="PinData"/>, its dense vector once a search or fetch carried it, and its text as term ids once the
/// feature extractor needed them, so a candidate reaches both without a lookup by id.
/// </summary>
public sealed class RetrievedPin(PinData pin)
{
    public PinData Pin { get; } = pin;

    /// <summary>The pin's dense vector, or null until a search or fetch returned it. Set once (every copy of a
    /// version's vector is equal, so a concurrent search setting it too is harmless).</summary>
    public float[]? Vector { get; internal set; }

    /// <summary>The pin's terms (<see cref="FeatureExtractor"/>), computed on first use; the same for every search.</summary>
    internal FeatureExtractor.PinTerms? Terms { get; set; }

    /// <summary>The pin's title, brand and colour words for negated terms (<see cref="NegatedTerms.WordsOf"/>),
    /// computed on first use; the same for every search.</summary>
    internal string[]? Words { get; set; }

    public void Deconstruct(out PinData pin, out float[]? vector)
    {
        pin = Pin;
        vector = Vector;
    }
}

using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;

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

    /// <summary>The int8 copy of <see cref="Vector"/> that MMR compares (<see cref="Tail.SimilarityVector"/>), made on
    /// first use; null while the vector is unknown.</summary>
    public Tail.SimilarityVector? Similarity => _similarity ??= Tail.SimilarityVector.From(Vector);

    private Tail.SimilarityVector? _similarity;

    /// <summary>The pin as result pages show it: the message a search hit carried for it (<see cref="OfferMessage"/>; in
    /// process, the vector store's own message for this instance) or, failing that, made from <see cref="Pin"/> on first
    /// use. Every response showing this pin version shares it, so it must not be changed: responses are only
    /// serialized.</summary>
    internal Pin Message => _message ??= Pin.ToProto();

    /// <summary>Keeps <paramref name="message"/> (the same version's message, from a hit) as <see cref="Message"/>
    /// unless one is known already.</summary>
    internal void OfferMessage(Pin? message)
    {
        if (message is not null)
        {
            _message ??= message;
        }
    }

    private Pin? _message;

    /// <summary>The pin's terms (<see cref="FeatureExtractor"/>), computed on first use; the same for every search.</summary>
    internal FeatureExtractor.PinTerms? Terms { get; set; }

    /// <summary>The pin's title, brand and colour words for negated terms (<see cref="NegatedTerms.WordsOf"/>),
    /// computed on first use; the same for every search.</summary>
    internal string[]? Words { get; set; }

    /// <summary>The pin's entry in the query log (<see cref="QueryLog.QueryLogExpansion"/>), kept with the log that
    /// found it; set on first use.</summary>
    internal object? QueryLog { get; set; }

    public void Deconstruct(out PinData pin, out float[]? vector)
    {
        pin = Pin;
        vector = Vector;
    }
}

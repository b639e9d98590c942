using Recommender.Embeddings;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Pipeline;

/// <summary>The intent's negated terms ("not wool", "-leather") as token lists: a candidate whose title, brand or
/// colour holds every word of one of them is dropped. Shared by the service's search and the offline training
/// retrieval, so both see the same candidates.</summary>
public sealed class NegatedTerms
{
    private readonly List<string[]> _terms;

    private NegatedTerms(List<string[]> terms) => _terms = terms;

    public bool IsEmpty => _terms.Count == 0;

    public static NegatedTerms Of(ShoppingIntent intent) =>
        new(intent.NegatedTerms.Select(t => TextTokenizer.Tokenize(t).ToArray()).Where(t => t.Length > 0).ToList());

    /// <summary>True when the pin's title, brand or colour holds every word of some negated term.</summary>
    public bool Excludes(string title, string brand, string colour) => !IsEmpty && Excludes(WordsOf(title, brand, colour));

    /// <summary><see cref="Excludes(string, string, string)"/> of a retrieved pin, whose words are split once per pin
    /// version and kept on it (<see cref="RetrievedPin.Words"/>), not once per search.</summary>
    public bool Excludes(RetrievedPin pin) =>
        !IsEmpty && Excludes(pin.Words ??= WordsOf(pin.Pin.Title, pin.Pin.Brand, pin.Pin.Colour));

    /// <summary>The words a negated term is matched against: the tokens of the title, brand and colour, distinct and in
    /// ordinal order.</summary>
    public static string[] WordsOf(string title, string brand, string colour) =>
        TextTokenizer.Tokenize(title).Concat(TextTokenizer.Tokenize(brand)).Concat(TextTokenizer.Tokenize(colour))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private bool Excludes(string[] words)
    {
        foreach (var term in _terms)
        {
            var all = true;
            foreach (var word in term)
            {
                if (Array.BinarySearch(words, word, StringComparer.Ordinal) < 0)
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }
}

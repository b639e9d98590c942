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
    public bool Excludes(string title, string brand, string colour)
    {
        if (IsEmpty)
        {
            return false;
        }

        var words = TextTokenizer.Tokenize(title).Concat(TextTokenizer.Tokenize(brand)).Concat(TextTokenizer.Tokenize(colour))
            .ToHashSet(StringComparer.Ordinal);
        return _terms.Any(t => t.All(words.Contains));
    }
}

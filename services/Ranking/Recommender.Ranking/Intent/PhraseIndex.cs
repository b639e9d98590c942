namespace Recommender.Ranking.Intent;

/// <summary>
/// Multi-word phrases (brands, categories, colours, materials) keyed by their first word, longest first, so finding
/// the phrase that starts at a query word is one dictionary lookup and a few array compares.
/// </summary>
public sealed class PhraseIndex
{
    private readonly Dictionary<string, Phrase[]> _byFirst;

    private PhraseIndex(Dictionary<string, Phrase[]> byFirst, bool folded, int count)
    {
        _byFirst = byFirst;
        Folded = folded;
        Count = count;
    }

    public static PhraseIndex Empty { get; } = new([], false, 0);

    /// <summary>True when phrases are compared in plural-folded form (categories, colours); brands compare exactly.</summary>
    public bool Folded { get; }

    /// <summary>Number of distinct phrases.</summary>
    public int Count { get; }

    /// <summary>The longest phrase starting at <paramref name="start"/>, if any.</summary>
    public bool TryMatch(IReadOnlyList<QueryToken> tokens, int start, out int length, out string value)
    {
        length = 0;
        value = "";
        if (start >= tokens.Count || !_byFirst.TryGetValue(Key(tokens[start]), out var phrases))
        {
            return false;
        }

        foreach (var phrase in phrases)
        {
            if (start + phrase.Words.Length > tokens.Count)
            {
                continue;
            }

            var all = true;
            for (var k = 1; k < phrase.Words.Length && all; k++)
            {
                all = string.Equals(Key(tokens[start + k]), phrase.Words[k], StringComparison.Ordinal);
            }

            if (all)
            {
                length = phrase.Words.Length;
                value = phrase.Value;
                return true;
            }
        }

        return false;
    }

    /// <summary>All phrases of one value, e.g. every alias of a brand.</summary>
    public IEnumerable<(string[] Words, string Value)> Phrases =>
        _byFirst.Values.SelectMany(p => p).Select(p => (p.Words, p.Value));

    private string Key(QueryToken token) => Folded ? token.Folded : token.Text;

    private sealed record Phrase(string[] Words, string Value);

    /// <summary>Collects phrases; when two values claim the same words the heavier one (more pins) keeps them.</summary>
    public sealed class Builder(bool folded)
    {
        private readonly Dictionary<string, (string[] Words, string Value, double Weight)> _phrases = new(StringComparer.Ordinal);

        public void Add(IReadOnlyList<string> words, string value, double weight)
        {
            if (words.Count == 0 || words.Count > 8)
            {
                return;
            }

            var key = string.Join(' ', words);
            if (!_phrases.TryGetValue(key, out var existing) || existing.Weight < weight)
            {
                _phrases[key] = (words.ToArray(), value, weight);
            }
        }

        public PhraseIndex Build()
        {
            var byFirst = _phrases.Values
                .GroupBy(p => p.Words[0], StringComparer.Ordinal)
                .ToDictionary(
                    g => g.Key,
                    g => g.OrderByDescending(p => p.Words.Length).Select(p => new Phrase(p.Words, p.Value)).ToArray(),
                    StringComparer.Ordinal);
            return new PhraseIndex(byFirst, folded, _phrases.Count);
        }
    }
}

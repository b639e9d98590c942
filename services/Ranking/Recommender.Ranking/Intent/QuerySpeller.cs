using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Label-free spelling correction of query words against the catalog's own words (learned with the intent
/// vocabulary from the pins the service holds: titles, brands, categories, colours, attribute values). A query word
/// the catalog never uses ("plummbing", "conroller", "blad") is replaced by the catalog word one edit away (insert,
/// delete, substitute or swap two neighbours) that the most pins use; a word the catalog knows, a word with digits,
/// a word shorter than <see cref="MinLength"/> letters and a word without such a neighbour are kept. Lookups use
/// symmetric deletes (every catalog word is indexed under its one-letter deletions), so a query costs a few
/// dictionary lookups per word. Retrieval and features use the corrected text; the intent keeps the original.
/// </summary>
public sealed class QuerySpeller
{
    /// <summary>Shortest word corrected: shorter words have too many neighbours ("bolt", "belt", "boat").</summary>
    public const int MinLength = 4;

    /// <summary>Fewest pins a word must appear in to be a correction (one-off words in titles are often typos).</summary>
    public const int MinPins = 3;

    private readonly Dictionary<string, int> _pins;
    private readonly Dictionary<string, string[]> _deletes;

    private QuerySpeller(Dictionary<string, int> pins)
    {
        _pins = pins;
        var deletes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (word, count) in pins)
        {
            if (count < MinPins || word.Length < MinLength - 1 || !IsWord(word))
            {
                continue;
            }

            for (var i = 0; i < word.Length; i++)
            {
                var key = string.Concat(word.AsSpan(0, i), word.AsSpan(i + 1));
                if (!deletes.TryGetValue(key, out var words))
                {
                    deletes[key] = words = [];
                }

                words.Add(word);
            }
        }

        _deletes = deletes.ToDictionary(d => d.Key, d => d.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>A speller that knows no words and corrects nothing.</summary>
    public static QuerySpeller Empty { get; } = new([]);

    /// <summary>Distinct catalog words known (any count).</summary>
    public int Words => _pins.Count;

    public static QuerySpeller Build(IEnumerable<PinData> pins)
    {
        var builder = new Builder();
        foreach (var pin in pins)
        {
            builder.Add(pin);
        }

        return builder.Build();
    }

    /// <summary>How many pins use the (tokenised) word.</summary>
    public int PinsWith(string word) => _pins.GetValueOrDefault(word);

    /// <summary>The word itself when the catalog knows it or nothing fits; else its correction.</summary>
    public string CorrectWord(string word)
    {
        if (word.Length < MinLength || _pins.ContainsKey(word) || !IsWord(word))
        {
            return word;
        }

        string? best = null;
        var bestPins = 0;
        void Consider(string candidate)
        {
            var pins = _pins.GetValueOrDefault(candidate);
            if (pins >= MinPins && candidate[0] == word[0] && (pins > bestPins || (pins == bestPins && string.CompareOrdinal(candidate, best) < 0))
                && OneEdit(word, candidate))
            {
                best = candidate;
                bestPins = pins;
            }
        }

        // The query lacks a letter: catalog words one deletion away from it are indexed under it.
        if (_deletes.TryGetValue(word, out var longer))
        {
            foreach (var w in longer)
            {
                Consider(w);
            }
        }

        for (var i = 0; i < word.Length; i++)
        {
            var shorter = string.Concat(word.AsSpan(0, i), word.AsSpan(i + 1));

            // The query has an extra letter.
            if (_pins.ContainsKey(shorter))
            {
                Consider(shorter);
            }

            // A letter substituted, or two neighbours swapped: both share a deletion.
            if (_deletes.TryGetValue(shorter, out var same))
            {
                foreach (var w in same)
                {
                    Consider(w);
                }
            }
        }

        return best ?? word;
    }

    /// <summary>The tokens with each corrected (the same list when nothing changed).</summary>
    public IReadOnlyList<string> Correct(IReadOnlyList<string> tokens)
    {
        List<string>? corrected = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var fixedWord = CorrectWord(tokens[i]);
            if (!ReferenceEquals(fixedWord, tokens[i]))
            {
                corrected ??= [.. tokens];
                corrected[i] = fixedWord;
            }
        }

        return corrected ?? tokens;
    }

    /// <summary>The query text for retrieval and features: unchanged when no word needs correcting, else its tokens
    /// with corrections, space-separated.</summary>
    public string Correct(string text)
    {
        if (_pins.Count == 0 || text.Length == 0)
        {
            return text;
        }

        var tokens = TextTokenizer.Tokenize(text);
        var corrected = Correct(tokens);
        return ReferenceEquals(corrected, tokens) ? text : string.Join(' ', corrected);
    }

    private static bool IsWord(string word)
    {
        foreach (var c in word)
        {
            if (!char.IsAsciiLetterLower(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Optimal string alignment distance exactly 1 (one insert, delete, substitution or adjacent swap).</summary>
    private static bool OneEdit(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 1 || a == b)
        {
            return false;
        }

        var prefix = a.AsSpan().CommonPrefixLength(b);
        if (a.Length == b.Length)
        {
            var restA = a.AsSpan(prefix + 1);
            var restB = b.AsSpan(prefix + 1);
            if (restA.SequenceEqual(restB))
            {
                return true;
            }

            return prefix + 1 < a.Length && a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix] && a.AsSpan(prefix + 2).SequenceEqual(b.AsSpan(prefix + 2));
        }

        var (lng, shrt) = a.Length > b.Length ? (a, b) : (b, a);
        return lng.AsSpan(prefix + 1).SequenceEqual(shrt.AsSpan(prefix));
    }

    /// <summary>Counts, per word, the pins that use it.</summary>
    public sealed class Builder
    {
        private readonly Dictionary<string, int> _pins = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public void Add(PinData pin)
        {
            _seen.Clear();
            AddText(pin.Title);
            AddText(pin.Brand);
            AddText(pin.Colour);
            foreach (var category in pin.CategoryPath)
            {
                AddText(category);
            }

            foreach (var value in pin.Attributes.Values)
            {
                AddText(value);
            }

            foreach (var word in _seen)
            {
                _pins[word] = _pins.GetValueOrDefault(word) + 1;
            }
        }

        public QuerySpeller Build() => new(new Dictionary<string, int>(_pins, StringComparer.Ordinal));

        private void AddText(string? text)
        {
            foreach (var token in TextTokenizer.Tokenize(text))
            {
                _seen.Add(token);
            }
        }
    }
}

using System.Buffers;
using Microsoft.ML.Data;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The trained category classifier evaluated directly: the features ML.NET's <c>FeaturizeText</c> defaults give (text
/// lower-cased; word 1- and 2-grams of the space-separated tokens and character 3-grams of the whole text between a
/// start and an end marker, each counted and L2-normalised per kind over the n-grams the training text had), then the
/// maximum-entropy layer (per class bias plus weights, softmax). Built from the fitted pipeline's slot names and
/// weights, so it has no vocabulary of its own.
/// </summary>
/// <remarks>
/// Only printable ASCII text without '|' is taken (<see cref="TryPredict"/> returns false otherwise and the caller
/// asks ML.NET): for it ML.NET's normalisation is exactly lower-casing (no diacritics to fold), and an n-gram's slot
/// name, its parts joined by '|', cannot be mistaken for another's. For the same reason no scorer is built when a
/// training text contains '|' (a token holding '|' would name a unigram like a bigram). ML.NET's per-query cost is
/// its row and getter machinery; this is a few dictionary look-ups and the n-grams' non-zero weights.
/// </remarks>
internal sealed class NgramSoftmaxScorer
{
    private const string CharPrefix = "Char.";
    private const string WordPrefix = "Word.";
    private const int Start = 2;
    private const int End = 3;
    private const int MaxLength = 256;

    private readonly Dictionary<int, int> _trigrams;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _words;
    // The non-zero weights by slot (SDCA's L1 term leaves most of them zero: 99.5% on the Best Buy titles), classes
    // ascending: slot s's are entries _rowStart[s] .. _rowStart[s + 1] - 1 of _class and _weight.
    private readonly int[] _rowStart;
    private readonly int[] _class;
    private readonly float[] _weight;
    private readonly float[] _biases;

    private NgramSoftmaxScorer(Dictionary<int, int> trigrams, Dictionary<string, int> words, int[] rowStart, int[] classes, float[] weights, float[] biases)
    {
        _trigrams = trigrams;
        _words = words.GetAlternateLookup<ReadOnlySpan<char>>();
        _rowStart = rowStart;
        _class = classes;
        _weight = weights;
        _biases = biases;
    }

    /// <summary>Null when the slot names are not the <c>Char.</c>/<c>Word.</c> ones of <c>FeaturizeText</c>, a slot name
    /// repeats, or a training text holds '|'.</summary>
    /// <param name="slotNames">The feature column's slot names, in slot order.</param>
    /// <param name="classWeights">Per class, its weights over the slots (length = slots; dense or sparse).</param>
    /// <param name="biases">Per class, its bias.</param>
    /// <param name="trainingTexts">The texts the featurizer's dictionaries were built from.</param>
    public static NgramSoftmaxScorer? Create(IReadOnlyList<string> slotNames, IReadOnlyList<VBuffer<float>> classWeights, float[] biases, IEnumerable<string> trainingTexts)
    {
        if (classWeights.Count != biases.Length || biases.Length == 0 || trainingTexts.Any(t => t.Contains('|', StringComparison.Ordinal)))
        {
            return null;
        }

        var trigrams = new Dictionary<int, int>();
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var slot = 0; slot < slotNames.Count; slot++)
        {
            var name = slotNames[slot];
            if (name.StartsWith(CharPrefix, StringComparison.Ordinal))
            {
                // Trigrams an ASCII query cannot produce (other characters, other markers) are left out: never looked up.
                if (TrigramKey(name.AsSpan(CharPrefix.Length)) is { } key && !trigrams.TryAdd(key, slot))
                {
                    return null;
                }
            }
            else if (!name.StartsWith(WordPrefix, StringComparison.Ordinal) || !words.TryAdd(name[WordPrefix.Length..], slot))
            {
                return null;
            }
        }

        if (classWeights.Any(w => w.Length != slotNames.Count))
        {
            return null;
        }

        // Count each slot's non-zero weights, then place them class by class (so each slot's in ascending class order).
        var rowStart = new int[slotNames.Count + 1];
        foreach (var classWeight in classWeights)
        {
            foreach (var (slot, weight) in classWeight.Items())
            {
                rowStart[slot + 1] += weight != 0 ? 1 : 0;
            }
        }

        for (var slot = 0; slot < slotNames.Count; slot++)
        {
            rowStart[slot + 1] += rowStart[slot];
        }

        var next = rowStart[..^1];
        var classes = new int[rowStart[^1]];
        var weights = new float[rowStart[^1]];
        for (var c = 0; c < classWeights.Count; c++)
        {
            foreach (var (slot, weight) in classWeights[c].Items())
            {
                if (weight != 0)
                {
                    classes[next[slot]] = c;
                    weights[next[slot]++] = weight;
                }
            }
        }

        return new NgramSoftmaxScorer(trigrams, words, rowStart, classes, weights, biases);
    }

    /// <summary>The best class and its probability; false (nothing computed) for text this scorer does not take (other
    /// characters, or longer than <see cref="MaxLength"/>).</summary>
    public bool TryPredict(string text, out int best, out float probability)
    {
        best = 0;
        probability = 0;
        if (text.Length > MaxLength)
        {
            return false;
        }

        foreach (var ch in text)
        {
            if (ch is < ' ' or > '~' or '|')
            {
                return false;
            }
        }

        var lower = ArrayPool<char>.Shared.Rent(Math.Max(text.Length, 1));
        var slots = ArrayPool<int>.Shared.Rent((2 * text.Length) + 4);
        var scores = ArrayPool<float>.Shared.Rent(_biases.Length);
        try
        {
            var n = text.AsSpan().ToLowerInvariant(lower);
            var chars = CharTrigrams(lower.AsSpan(0, n), slots);
            var words = WordNgrams(lower.AsSpan(0, n), slots.AsSpan(chars));
            var score = scores.AsSpan(0, _biases.Length);
            _biases.CopyTo(score);
            AddNormalised(slots.AsSpan(0, chars), score);
            AddNormalised(slots.AsSpan(chars, words), score);
            best = Softmax(score, out probability);
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(lower);
            ArrayPool<int>.Shared.Return(slots);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>Writes the known trigrams' slots (one per occurrence) and returns how many.</summary>
    private int CharTrigrams(ReadOnlySpan<char> text, Span<int> slots)
    {
        var n = 0;
        var length = text.Length + 2;
        for (var i = 0; i + 2 < length; i++)
        {
            var key = (Code(text, i - 1) << 16) | (Code(text, i) << 8) | Code(text, i + 1);
            if (_trigrams.TryGetValue(key, out var slot))
            {
                slots[n++] = slot;
            }
        }

        return n;

        static int Code(ReadOnlySpan<char> text, int i) => i < 0 ? Start : i >= text.Length ? End : text[i];
    }

    /// <summary>Writes the known word unigrams' and bigrams' slots (one per occurrence) and returns how many.</summary>
    private int WordNgrams(ReadOnlySpan<char> text, Span<int> slots)
    {
        var n = 0;
        Span<char> pair = stackalloc char[MaxLength + 1];
        var previous = (Start: 0, Length: 0); // Length 0 until the first token (tokens are never empty)
        foreach (var range in text.Split(' '))
        {
            var (start, length) = range.GetOffsetAndLength(text.Length);
            if (length == 0)
            {
                continue;
            }

            var token = text.Slice(start, length);
            if (previous.Length > 0)
            {
                text.Slice(previous.Start, previous.Length).CopyTo(pair);
                pair[previous.Length] = '|';
                token.CopyTo(pair[(previous.Length + 1)..]);
                if (_words.TryGetValue(pair[..(previous.Length + 1 + length)], out var bigram))
                {
                    slots[n++] = bigram;
                }
            }

            if (_words.TryGetValue(token, out var unigram))
            {
                slots[n++] = unigram;
            }

            previous = (start, length);
        }

        return n;
    }

    /// <summary>Adds the weights of one kind's n-grams, each counted and the counts L2-normalised, to the scores.</summary>
    private void AddNormalised(Span<int> slots, Span<float> scores)
    {
        if (slots.Length == 0)
        {
            return;
        }

        slots.Sort();
        float squares = 0;
        for (var i = 0; i < slots.Length;)
        {
            var run = Run(slots, i);
            squares += run * run;
            i += run;
        }

        var scale = 1 / MathF.Sqrt(squares);
        for (var i = 0; i < slots.Length;)
        {
            var run = Run(slots, i);
            var value = run * scale;
            for (int j = _rowStart[slots[i]], end = _rowStart[slots[i] + 1]; j < end; j++)
            {
                scores[_class[j]] += value * _weight[j];
            }

            i += run;
        }

        static int Run(Span<int> sorted, int from)
        {
            var to = from + 1;
            while (to < sorted.Length && sorted[to] == sorted[from])
            {
                to++;
            }

            return to - from;
        }
    }

    /// <summary>Turns the scores into probabilities in place; returns the first class with the highest.</summary>
    private static int Softmax(Span<float> scores, out float probability)
    {
        var best = 0;
        for (var c = 1; c < scores.Length; c++)
        {
            if (scores[c] > scores[best])
            {
                best = c;
            }
        }

        var max = scores[best];
        double sum = 0;
        for (var c = 0; c < scores.Length; c++)
        {
            sum += Math.Exp(scores[c] - max);
        }

        probability = (float)(1 / sum);
        return best;
    }

    /// <summary>The look-up key of a trigram's slot name ("a|b|c", the markers and the space written as ML.NET names
    /// them), or null when one of its characters is outside printable ASCII or '|'.</summary>
    private static int? TrigramKey(ReadOnlySpan<char> name)
    {
        var key = 0;
        var parts = 0;
        foreach (var range in name.Split('|'))
        {
            var part = name[range];
            int code;
            if (part.Length == 1 && part[0] is >= '!' and <= '~')
            {
                code = part[0];
            }
            else if (part.SequenceEqual("<\u2420>"))
            {
                code = ' ';
            }
            else if (part.SequenceEqual("<\u2402>"))
            {
                code = Start;
            }
            else if (part.SequenceEqual("<\u2403>"))
            {
                code = End;
            }
            else
            {
                return null;
            }

            key = (key << 8) | code;
            parts++;
        }

        return parts == 3 ? key : null;
    }
}

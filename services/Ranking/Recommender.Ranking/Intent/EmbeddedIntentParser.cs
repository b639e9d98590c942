using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The default intent parser: the <see cref="IntentGrammar"/> for numbers, prices, sizes, sort words and negation,
/// the tenant's <see cref="CatalogVocabulary"/> for brands, categories, colours and materials (dictionary lookups,
/// longest match), and the <see cref="CategoryClassifier"/> for the category when the query does not name one.
/// Immutable and thread-safe; one instance per catalog version.
/// </summary>
public sealed class EmbeddedIntentParser(CatalogVocabulary vocabulary, CategoryClassifier? classifier, double categoryThreshold = 0.5)
{
    private static readonly HashSet<string> ScopeFillers = new(StringComparer.Ordinal) { "a", "an", "the", "any", "by", "from", "brand" };
    private static readonly HashSet<string> ScopeJoiners = new(StringComparer.Ordinal) { "or", "nor" };
    private static readonly HashSet<string> OnlyWords = new(StringComparer.Ordinal) { "only", "just", "exclusively" };

    public static EmbeddedIntentParser GrammarOnly { get; } = new(CatalogVocabulary.Empty, null);

    public CatalogVocabulary Vocabulary { get; } = vocabulary;

    public CategoryClassifier? Classifier { get; } = classifier;

    public double CategoryThreshold { get; } = categoryThreshold;

    public ShoppingIntent Parse(string query)
    {
        var normalized = IntentText.NormalizeQuery(query);
        var state = new ParseState(normalized);

        // Every price and size pattern needs a digit: a query without one skips their seven scans.
        var digits = normalized.AsSpan().IndexOfAnyInRange('0', '9') >= 0;
        if (digits)
        {
            ParsePrices(state);
        }

        ParseSortAndBudget(state);
        if (digits)
        {
            ParseSizes(state);
        }

        var tokens = IntentText.Tokenize(normalized);
        ParseNegations(state, tokens);
        ParseVocabulary(state, tokens);

        var text = state.RemainingText();

        var (category, confidence) = ResolveCategory(state.Category, text);
        return new ShoppingIntent
        {
            NormalizedQuery = normalized,
            Text = text,
            Category = category,
            CategoryConfidence = confidence,
            Brands = state.Brands,
            BrandsRequired = state.BrandsRequired && state.Brands.Count > 0,
            ExcludedBrands = state.ExcludedBrands,
            Colour = state.Colour,
            Material = state.Material,
            Size = state.Size,
            PriceMin = state.Min,
            PriceMax = state.Max,
            Currency = state.Currency ?? "USD",
            PriceSensitive = state.PriceSensitive,
            NegatedTerms = state.Negated,
            Sort = state.Sort,
            Spans = state.Spans.OrderBy(s => s.Start).ToList(),
            Parser = IntentParsers.Embedded,
        };
    }

    /// <summary>The minimum probability at which the classifier may refine a category the query names literally.</summary>
    public const double RefineThreshold = 0.15;

    /// <summary>
    /// The classifier decides when it is confident. Otherwise a category the query names literally stands, unless the
    /// classifier's (weaker) guess is a sub-category of it ("cell phone cases" names "Cell Phones"; the classifier
    /// refines to "Cell Phone Cases &amp; Clips").
    /// </summary>
    private (string? Category, double Confidence) ResolveCategory(string? literal, string text)
    {
        if (Classifier is null || text.Length == 0)
        {
            return (literal, literal is null ? 0 : 1);
        }

        var (label, p) = Classifier.Predict(text);
        if (p >= CategoryThreshold)
        {
            return (label, Math.Round(p, 4));
        }

        if (literal is not null && p >= RefineThreshold && Vocabulary.IsAncestor(literal, label))
        {
            return (label, Math.Round(p, 4));
        }

        return (literal, literal is null ? 0 : 1);
    }

    private static void ParsePrices(ParseState s)
    {
        foreach (var regex in (ReadOnlySpan<Regex>)[IntentGrammar.RangeWords(), IntentGrammar.RangeSymbol(), IntentGrammar.RangeSuffix()])
        {
            foreach (Match m in regex.Matches(s.Normalized))
            {
                if (s.IsFree(m.Index, m.Length))
                {
                    var a = IntentGrammar.Number(m, "a", "ka");
                    var b = IntentGrammar.Number(m, "b", "kb");
                    s.Min = Math.Min(a, b);
                    s.Max = Math.Max(a, b);
                    s.Currency ??= IntentGrammar.Currency(m);
                    s.Take(m.Index, m.Length, IntentSlots.PriceRange, $"{Format(s.Min.Value)}-{Format(s.Max.Value)}");
                }
            }
        }

        foreach (var regex in (ReadOnlySpan<Regex>)[IntentGrammar.Upper(), IntentGrammar.UpperSuffix()])
        {
            foreach (Match m in regex.Matches(s.Normalized))
            {
                if (s.IsFree(m.Index, m.Length))
                {
                    var max = IntentGrammar.Number(m, "n", "k");
                    s.Max = s.Max is { } existing ? Math.Min(existing, max) : max;
                    s.Currency ??= IntentGrammar.Currency(m);
                    s.Take(m.Index, m.Length, IntentSlots.PriceMax, Format(max));
                }
            }
        }

        foreach (var regex in (ReadOnlySpan<Regex>)[IntentGrammar.Lower(), IntentGrammar.LowerSuffix()])
        {
            foreach (Match m in regex.Matches(s.Normalized))
            {
                if (s.IsFree(m.Index, m.Length))
                {
                    var min = IntentGrammar.Number(m, "n", "k");
                    s.Min = s.Min is { } existing ? Math.Max(existing, min) : min;
                    s.Currency ??= IntentGrammar.Currency(m);
                    s.Take(m.Index, m.Length, IntentSlots.PriceMin, Format(min));
                }
            }
        }

        if (s.Min is { } lo && s.Max is { } hi && lo > hi)
        {
            // "over 50 under 20": contradictory; keep the upper bound the shopper typed, drop the lower.
            s.Min = null;
        }
    }

    private static void ParseSortAndBudget(ParseState s)
    {
        foreach (var (regex, sort) in (ReadOnlySpan<(Regex, IntentSort)>)[
                     (IntentGrammar.SortCheapest(), IntentSort.Cheapest),
                     (IntentGrammar.SortBestRated(), IntentSort.BestRated),
                     (IntentGrammar.SortNewest(), IntentSort.Newest)])
        {
            foreach (Match m in regex.Matches(s.Normalized))
            {
                if (s.IsFree(m.Index, m.Length))
                {
                    s.Sort = sort;
                    s.PriceSensitive |= sort == IntentSort.Cheapest;
                    s.Take(m.Index, m.Length, IntentSlots.Sort, sort.ToString().ToLowerInvariant());
                }
            }
        }

        foreach (Match m in IntentGrammar.PriceSensitive().Matches(s.Normalized))
        {
            if (s.IsFree(m.Index, m.Length))
            {
                s.PriceSensitive = true;
                s.Take(m.Index, m.Length, IntentSlots.PriceSensitive, m.Value);
            }
        }
    }

    private static void ParseSizes(ParseState s)
    {
        foreach (Match m in IntentGrammar.Size().Matches(s.Normalized))
        {
            if (s.Size is null && s.IsFree(m.Index, m.Length))
            {
                s.Size = IntentGrammar.NormalizeSize(m);
                // A size stays in the text (it helps matching titles); the span records where it came from.
                s.Spans.Add(new IntentSlotSpan(IntentSlots.Size, m.Index, m.Length, s.Size));
            }
        }
    }

    private void ParseNegations(ParseState s, List<QueryToken> tokens)
    {
        foreach (Match cue in IntentGrammar.NegationCue().Matches(s.Normalized))
        {
            if (!s.IsFree(cue.Index, cue.Length))
            {
                continue;
            }

            var dash = cue.Value == "-";
            var i = tokens.FindIndex(t => t.Start >= cue.Index + cue.Length);
            while (i >= 0 && i < tokens.Count && !dash && ScopeFillers.Contains(tokens[i].Text) && i + 1 < tokens.Count)
            {
                i++;
            }

            var end = cue.Index + cue.Length;
            var found = false;
            while (i >= 0 && i < tokens.Count && s.IsFree(tokens[i].Start, tokens[i].Length))
            {
                if (Vocabulary.Brands.TryMatch(tokens, i, out var length, out var brand))
                {
                    AddDistinct(s.ExcludedBrands, brand);
                    s.Spans.Add(new IntentSlotSpan(IntentSlots.ExcludedBrand, tokens[i].Start, tokens[i + length - 1].End - tokens[i].Start, brand));
                }
                else
                {
                    length = 1;
                    if (Vocabulary.Colours.TryMatch(tokens, i, out var colourLength, out _) ||
                        Vocabulary.Materials.TryMatch(tokens, i, out colourLength, out _))
                    {
                        length = colourLength;
                    }

                    var term = s.Normalized[tokens[i].Start..tokens[i + length - 1].End];
                    AddDistinct(s.Negated, term);
                    s.Spans.Add(new IntentSlotSpan(IntentSlots.Negation, tokens[i].Start, term.Length, term));
                }

                found = true;
                end = tokens[i + length - 1].End;
                i += length;
                // "not logitech or microsoft", "no wool, no silk" (the second cue is its own match).
                if (dash || i + 1 >= tokens.Count || !ScopeJoiners.Contains(tokens[i].Text))
                {
                    break;
                }

                i++;
            }

            if (found)
            {
                s.Consume(cue.Index, end - cue.Index);
            }
        }
    }

    private void ParseVocabulary(ParseState s, List<QueryToken> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (!s.IsFree(t.Start, t.Length))
            {
                continue;
            }

            if (Vocabulary.Brands.TryMatch(tokens, i, out var length, out var value) && s.IsFree(t.Start, tokens[i + length - 1].End - t.Start))
            {
                AddDistinct(s.Brands, value);
                s.Spans.Add(new IntentSlotSpan(IntentSlots.Brand, t.Start, tokens[i + length - 1].End - t.Start, value));
                if ((i > 0 && OnlyWords.Contains(tokens[i - 1].Text)) || (i + length < tokens.Count && OnlyWords.Contains(tokens[i + length].Text)))
                {
                    s.BrandsRequired = true;
                    var marker = i > 0 && OnlyWords.Contains(tokens[i - 1].Text) ? tokens[i - 1] : tokens[i + length];
                    s.Consume(marker.Start, marker.Length);
                }
                else if (i > 0 && tokens[i - 1].Text == "brand" && t.Start > 0 && s.Normalized[t.Start - 1] == ':')
                {
                    s.BrandsRequired = true;
                    s.Consume(tokens[i - 1].Start, t.Start - tokens[i - 1].Start);
                }

                i += length - 1;
            }
            else if (s.Category is null && Vocabulary.Categories.TryMatch(tokens, i, out length, out value))
            {
                s.Category = value;
                s.Spans.Add(new IntentSlotSpan(IntentSlots.Category, t.Start, tokens[i + length - 1].End - t.Start, value));
                i += length - 1;
            }
            else if (s.Colour is null && Vocabulary.Colours.TryMatch(tokens, i, out length, out value))
            {
                s.Colour = value;
                s.Spans.Add(new IntentSlotSpan(IntentSlots.Colour, t.Start, tokens[i + length - 1].End - t.Start, value));
                i += length - 1;
            }
            else if (s.Material is null && Vocabulary.Materials.TryMatch(tokens, i, out length, out value))
            {
                s.Material = value;
                s.Spans.Add(new IntentSlotSpan(IntentSlots.Material, t.Start, tokens[i + length - 1].End - t.Start, value));
                i += length - 1;
            }
        }
    }

    private static void AddDistinct(List<string> into, string value)
    {
        if (!into.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            into.Add(value);
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>What one parse has found so far, and which characters constraints have taken out of the text.</summary>
    private sealed class ParseState(string normalized)
    {
        private readonly bool[] _consumed = new bool[normalized.Length];

        public string Normalized { get; } = normalized;

        public List<IntentSlotSpan> Spans { get; } = [];

        public List<string> Brands { get; } = [];

        public List<string> ExcludedBrands { get; } = [];

        public List<string> Negated { get; } = [];

        public bool BrandsRequired { get; set; }

        public double? Min { get; set; }

        public double? Max { get; set; }

        public string? Currency { get; set; }

        public bool PriceSensitive { get; set; }

        public IntentSort Sort { get; set; }

        public string? Size { get; set; }

        public string? Category { get; set; }

        public string? Colour { get; set; }

        public string? Material { get; set; }

        public bool IsFree(int start, int length)
        {
            for (var i = start; i < start + length; i++)
            {
                if (_consumed[i])
                {
                    return false;
                }
            }

            return true;
        }

        public void Take(int start, int length, string slot, string value)
        {
            Consume(start, length);
            Spans.Add(new IntentSlotSpan(slot, start, length, value));
        }

        public void Consume(int start, int length) => Array.Fill(_consumed, true, start, length);

        public string RemainingText()
        {
            var sb = new StringBuilder(Normalized.Length);
            var space = false;
            for (var i = 0; i < Normalized.Length; i++)
            {
                var c = _consumed[i] ? ' ' : Normalized[i];
                if (c == ' ')
                {
                    space = sb.Length > 0;
                    continue;
                }

                if (space)
                {
                    sb.Append(' ');
                    space = false;
                }

                sb.Append(c);
            }

            return sb.ToString();
        }
    }
}

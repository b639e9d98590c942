using System.Globalization;
using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>A query made from a real pin, with the intent it expresses.</summary>
/// <summary>A query made from a real pin, with the intent it expresses. <paramref name="CategoryPath"/> is the pin's
/// whole path: naming any level of it is a right answer (the category filter matches any level).</summary>
public sealed record SynthesizedQuery(string Query, ShoppingIntent Expected, string PinId, IReadOnlyList<string> CategoryPath);

/// <summary>
/// Writes shopper-style queries from real pins: the pin's product type (its deepest category, or the lower-case
/// type words of its title such as "toner cartridge"), optionally its brand and colour, a price bound near its price
/// ("under $50", "between 20 and 40 dollars", "$100 and up") and a negation of a competing brand or of a word from a
/// related pin ("not canon", "without bluetooth"). The expected intent comes from the pin and the choices made, not
/// from any parser, so it can score the parser and teach a model. Deterministic for a seed.
/// </summary>
public sealed class QuerySynthesizer
{
    private static readonly HashSet<string> GrammarWords = new(StringComparer.Ordinal)
    {
        "not", "no", "without", "under", "over", "less", "more", "than", "between", "from", "up", "to", "max", "min", "plus",
        "only", "just", "and", "or", "cheap", "cheapest", "budget", "newest", "latest", "best", "top", "except", "excluding",
        "above", "below", "least", "most", "nor", "minus", "sans", "within", "tops", "affordable", "bargain", "the", "for", "with",
    };

    /// <summary>Title words that are not a kind of product.</summary>
    private static readonly HashSet<string> NotAType = new(StringComparer.Ordinal)
    {
        "year", "years", "month", "months", "pcs", "pack", "sheets", "pages", "pieces", "units", "original", "compatible",
        "black", "white", "grey", "gray", "silver", "blue", "red", "green", "yellow", "cyan", "magenta",
    };

    private static readonly string[] UpperTemplates =
    [
        "under ${0}", "under {0}", "under {0} dollars", "less than ${0}", "below ${0}", "up to ${0}", "${0} or less",
        "no more than ${0}", "max ${0}", "cheaper than ${0}", "at most {0} dollars", "<${0}", "under {0} usd",
    ];

    private static readonly string[] LowerTemplates = ["over ${0}", "above ${0}", "more than {0} dollars", "at least ${0}", "${0} and up", "${0} or more"];

    private static readonly string[] RangeTemplates =
    [
        "between ${0} and ${1}", "between {0} and {1} dollars", "${0}-${1}", "${0} to ${1}", "{0}-{1} dollars", "from ${0} to ${1}",
        "between {0} and {1}",
    ];

    private static readonly string[] BrandNegations = ["not {0}", "no {0}", "without {0}", "except {0}", "excluding {0}", "not by {0}"];

    private static readonly string[] TermNegations = ["without {0}", "no {0}", "not {0}"];

    private readonly Random _random;
    private readonly CatalogVocabulary _vocabulary;
    private readonly List<Source> _sources = [];
    private readonly Dictionary<string, List<string>> _brandsByCategory = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _commonBrands;
    private readonly Dictionary<string, List<string>> _typedBrand = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _titleWords = [];

    public QuerySynthesizer(IReadOnlyList<PinData> pins, CatalogVocabulary vocabulary, int seed)
    {
        _random = new Random(seed);
        _vocabulary = vocabulary;
        foreach (var (words, value) in vocabulary.Brands.Phrases)
        {
            if (!words.Contains("&"))
            {
                Typed(value).Add(string.Join(' ', words));
            }
        }

        foreach (var brand in vocabulary.BrandNames)
        {
            var list = Typed(brand);
            var lower = brand.ToLowerInvariant();
            list.Remove(lower);
            list.Insert(0, lower);
        }

        var seenWords = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pin in pins.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            if (pin.Price is not > 0 || !vocabulary.TryResolveBrand(pin.Brand, out var brand) || TypePhrase(pin) is not { } type)
            {
                continue;
            }

            var category = CategoryClassifier.Leaf(pin.CategoryPath);
            _sources.Add(new Source(pin, brand, type, category));
            var key = category ?? type;
            if (!_brandsByCategory.TryGetValue(key, out var brands))
            {
                _brandsByCategory[key] = brands = [];
            }

            if (!brands.Contains(brand, StringComparer.OrdinalIgnoreCase))
            {
                brands.Add(brand);
            }

            foreach (var word in IntentText.Tokenize(IntentText.NormalizeQuery(pin.Title)))
            {
                if (word.Text.Length is >= 4 and <= 12 && word.Text.All(char.IsAsciiLetterLower) && !GrammarWords.Contains(word.Text)
                    && !vocabulary.TryResolveBrand(word.Text, out _) && seenWords.Add(word.Text))
                {
                    _titleWords.Add(word.Text);
                }
            }
        }

        _commonBrands = vocabulary.BrandNames.Where(b => vocabulary.BrandPins(b) >= 3).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Pins a query can be made from.</summary>
    public int SourceCount => _sources.Count;

    /// <summary>Queries with at least one hard constraint (a price bound or an excluded brand), mixed with brand,
    /// type, colour and negated words.</summary>
    public IEnumerable<SynthesizedQuery> Constraints(int count)
    {
        for (var i = 0; i < count && _sources.Count > 0; i++)
        {
            yield return Make(_sources[_random.Next(_sources.Count)], hardOnly: true);
        }
    }

    /// <summary>Constraint queries plus soft ones ("cheap", "best rated", colour only) for fine-tuning.</summary>
    public IEnumerable<SynthesizedQuery> Mixed(int count)
    {
        for (var i = 0; i < count && _sources.Count > 0; i++)
        {
            yield return Make(_sources[_random.Next(_sources.Count)], hardOnly: _random.NextDouble() < 0.75);
        }
    }

    /// <summary>The words a shopper would use for the pin's kind of product, or null when none can be told.</summary>
    public static string? TypePhrase(PinData pin)
    {
        var leaf = CategoryClassifier.Leaf(pin.CategoryPath);
        string? phrase = null;
        if (leaf is not null)
        {
            phrase = leaf.ToLowerInvariant();
            var amp = phrase.IndexOf('&', StringComparison.Ordinal);
            phrase = amp > 0 ? phrase[..amp].Trim() : phrase;
            phrase = phrase.StartsWith("all ", StringComparison.Ordinal) ? phrase[4..] : phrase;
        }
        else
        {
            // Icecat titles read "Brand Model type words Spec Spec": take the first run of lower-case words.
            var run = new List<string>();
            foreach (var word in pin.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (word.Length >= 3 && word.All(char.IsAsciiLetterLower))
                {
                    run.Add(word);
                    if (run.Count == 3)
                    {
                        break;
                    }
                }
                else if (run.Count > 0)
                {
                    break;
                }
            }

            phrase = run.Count > 0 ? string.Join(' ', run) : null;
        }

        if (phrase is null || phrase.Length < 3)
        {
            return null;
        }

        var words = IntentText.Tokenize(IntentText.NormalizeQuery(phrase));
        if (words.Count == 1 && (words[0].Text.Length < 4 || NotAType.Contains(words[0].Text)))
        {
            return null;
        }

        return words.Count == 0 || words.Any(w => GrammarWords.Contains(w.Text)) || phrase.Contains('$', StringComparison.Ordinal) ? null : phrase;
    }

    private SynthesizedQuery Make(Source s, bool hardOnly)
    {
        var includeBrand = _random.NextDouble() < 0.5;
        var brandText = includeBrand ? Pick(Typed(s.Brand)) : null;
        var colour = !hardOnly || _random.NextDouble() < 0.15 ? PinColour(s.Pin) : null;
        var typeColour = TypeColour(s.Type);
        if (typeColour is not null)
        {
            // The type words already name a colour ("yellow paper"): that is the query's colour.
            colour = null;
        }

        string? price = null;
        double? min = null;
        double? max = null;
        string? negation = null;
        var excluded = new List<string>();
        var negated = new List<string>();
        var sort = IntentSort.Relevance;
        var priceSensitive = false;
        string? softPrefix = null;

        var kind = hardOnly ? _random.Next(3) : 3; // 0 price, 1 negation, 2 both, 3 soft
        if (kind is 0 or 2 || (kind == 1 && _random.NextDouble() < 0.2))
        {
            (price, min, max) = PriceClause(s.Pin.Price!.Value);
        }

        if (kind is 1 or 2 || (kind == 0 && _random.NextDouble() < 0.2))
        {
            negation = NegationClause(s, excluded, negated);
        }

        if (kind == 3)
        {
            switch (_random.Next(4))
            {
                case 0:
                    softPrefix = Pick(["cheap", "budget", "affordable", "inexpensive"]);
                    priceSensitive = true;
                    break;
                case 1:
                    softPrefix = "cheapest";
                    sort = IntentSort.Cheapest;
                    priceSensitive = true;
                    break;
                case 2:
                    softPrefix = Pick(["best rated", "top rated"]);
                    sort = IntentSort.BestRated;
                    break;
                default:
                    softPrefix = Pick(["newest", "latest"]);
                    sort = IntentSort.Newest;
                    break;
            }
        }

        var head = string.Join(' ', new[] { softPrefix, colour, brandText, s.Type }.Where(p => p is not null));
        var order = _random.NextDouble();
        var parts = order < 0.65 ? new[] { head, price, negation }
            : order < 0.9 ? new[] { head, negation, price }
            : new[] { price, head, negation };
        var query = string.Join(' ', parts.Where(p => p is not null));
        var expected = new ShoppingIntent
        {
            NormalizedQuery = IntentText.NormalizeQuery(query),
            Category = s.Category,
            CategoryConfidence = s.Category is null ? 0 : 1,
            Brands = includeBrand ? [s.Brand] : [],
            ExcludedBrands = excluded,
            NegatedTerms = negated,
            Colour = typeColour ?? (colour is not null && _vocabulary.TryResolveColour(colour, out var c) ? c : colour),
            PriceMin = min,
            PriceMax = max,
            Currency = "USD",
            PriceSensitive = priceSensitive,
            Sort = sort,
        };
        return new SynthesizedQuery(query, expected, s.Pin.Id, s.Pin.CategoryPath);
    }

    private (string Clause, double? Min, double? Max) PriceClause(double price)
    {
        var roll = _random.NextDouble();
        if (roll < 0.55)
        {
            var bound = Nice(price * (1.05 + (_random.NextDouble() * 0.6)), up: true);
            return (string.Format(CultureInfo.InvariantCulture, Pick(UpperTemplates), Format(bound)), null, bound);
        }

        if (roll < 0.75)
        {
            var bound = Nice(price * (0.5 + (_random.NextDouble() * 0.45)), up: false);
            return (string.Format(CultureInfo.InvariantCulture, Pick(LowerTemplates), Format(bound)), bound, null);
        }

        var lo = Nice(price * 0.6, up: false);
        var hi = Nice(price * 1.4, up: true);
        if (hi <= lo)
        {
            hi = lo + 10;
        }

        return (string.Format(CultureInfo.InvariantCulture, Pick(RangeTemplates), Format(lo), Format(hi)), lo, hi);
    }

    private string? NegationClause(Source s, List<string> excluded, List<string> negated)
    {
        if (_random.NextDouble() < 0.7)
        {
            var rivals = _brandsByCategory.TryGetValue(s.Category ?? s.Type, out var same) && same.Count > 1 ? same : _commonBrands;
            var first = PickOther(rivals, s.Brand);
            if (first is null)
            {
                return null;
            }

            excluded.Add(first);
            var clause = string.Format(CultureInfo.InvariantCulture, Pick(BrandNegations), Pick(Typed(first)));
            if (_random.NextDouble() < 0.15 && PickOther(_commonBrands, s.Brand, first) is { } second)
            {
                excluded.Add(second);
                clause += " or " + Pick(Typed(second));
            }

            return clause;
        }

        var title = IntentText.Tokenize(IntentText.NormalizeQuery(s.Pin.Title + " " + s.Type)).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);
        for (var attempt = 0; attempt < 20 && _titleWords.Count > 0; attempt++)
        {
            var word = _titleWords[_random.Next(_titleWords.Count)];
            if (!title.Contains(word))
            {
                negated.Add(word);
                return string.Format(CultureInfo.InvariantCulture, Pick(TermNegations), word);
            }
        }

        return null;
    }

    private string? PinColour(PinData pin)
    {
        var first = pin.Colour.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is not null && _vocabulary.TryResolveColour(first, out _) ? first.ToLowerInvariant() : null;
    }

    private string? TypeColour(string type)
    {
        var tokens = IntentText.Tokenize(IntentText.NormalizeQuery(type));
        for (var i = 0; i < tokens.Count; i++)
        {
            if (_vocabulary.Colours.TryMatch(tokens, i, out _, out var value))
            {
                return value;
            }
        }

        return null;
    }

    private double Nice(double value, bool up)
    {
        var step = value < 20 ? 1 : value < 100 ? 5 : value < 1000 ? Pick([10, 25, 50]) : 100;
        var rounded = (up ? Math.Ceiling(value / step) : Math.Floor(value / step)) * step;
        rounded = Math.Max(step, rounded);
        return rounded >= 10 && _random.NextDouble() < 0.15 ? rounded - 0.01 : rounded;
    }

    private string Format(double value) =>
        value >= 1000 && _random.NextDouble() < 0.5
            ? value.ToString("#,0.##", CultureInfo.InvariantCulture)
            : value.ToString("0.##", CultureInfo.InvariantCulture);

    private string? PickOther(List<string> from, params string[] not)
    {
        for (var attempt = 0; attempt < 20 && from.Count > 0; attempt++)
        {
            var candidate = from[_random.Next(from.Count)];
            if (!not.Contains(candidate, StringComparer.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }

    private T Pick<T>(IReadOnlyList<T> options) => options[_random.Next(options.Count)];

    private List<string> Typed(string brand)
    {
        if (!_typedBrand.TryGetValue(brand, out var list))
        {
            _typedBrand[brand] = list = [];
        }

        return list;
    }

    private sealed record Source(PinData Pin, string Brand, string Type, string? Category);
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The fixed part of the embedded parser: prices and ranges ("under $50", "between 20 and 40", "$20-$40",
/// "20-40 dollars", "50 dollars or less", "$100 and up"), price sensitivity ("cheap", "$$"), sort words
/// ("cheapest", "best rated", "newest"), sizes with units ("36 in.", "2 tb", "1/2 in", "24x36 in") and the cue
/// words of negation ("not", "without", "no", "except", "-word"). All regexes are source-generated.
/// A number followed by a unit is a size, never a price.
/// </summary>
public static partial class IntentGrammar
{
    private const string Pre = @"(?:(?<cur>\$|€|£)\s?|(?<cur>usd|eur|gbp)\s)?";
    private const string Post = @"(?:\s?(?<cur>\$|€|£)|\s?(?<cur>usd|eur|gbp|dollars?|bucks|euros?)\b)?";
    private const string PostRequired = @"\s?(?:(?<cur>\$|€|£)|(?<cur>usd|eur|gbp|dollars?|bucks|euros?)\b)";
    private const string Num = @"(?<n>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?<k>k\b)?";
    private const string NumA = @"(?<a>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?<ka>k\b)?";
    private const string NumB = @"(?<b>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?<kb>k\b)?";

    /// <summary>Not followed by a unit (then it is a size) or more digits.</summary>
    private const string NotUnit =
        @"(?!\.?[0-9]|\s?(?:in\b|in\.|inch|inches|""|''|ft\b|feet|foot|cm\b|mm\b|m\b|tb\b|gb\b|mb\b|kb\b|w\b|watts?\b|mah\b|v\b|volts?\b|hz\b|khz\b|mhz\b|ghz\b|oz\b|lbs?\b|kg\b|g\b|l\b|ml\b|mp\b|pcs?\b|pack\b|sheets?\b|pages?\b|ports?\b|x\b|×|%))";

    private const string Units =
        @"(?<unit>in\.|inch(?:es)?\b|in\b|""|''|ft\b|feet\b|foot\b|cm\b|mm\b|m\b|tb\b|gb\b|mb\b|w\b|watts?\b|mah\b|v\b|volts?\b|ghz\b|mhz\b|hz\b|oz\b|lbs?\b|kg\b|qt\b|quarts?\b|gal(?:lons?)?\b|l\b|ml\b|mp\b|megapixels?\b)";

    [GeneratedRegex(@"(?<![\w-])(?:between|from)\s+" + Pre + NumA + Post + @"\s*(?:and|to|-|–)\s*" + Pre + NumB + Post + NotUnit)]
    public static partial Regex RangeWords();

    [GeneratedRegex(@"(?<![\w.])(?<cur>\$|€|£)\s?" + NumA + @"\s?(?:-|–|to)\s?(?:\$|€|£)?\s?" + NumB + Post + NotUnit)]
    public static partial Regex RangeSymbol();

    [GeneratedRegex(@"(?<![\w.$€£])" + NumA + @"\s?(?:-|–|to)\s?" + NumB + PostRequired)]
    public static partial Regex RangeSuffix();

    [GeneratedRegex(@"(?:(?<![\w-])(?:under|below|less than|lower than|cheaper than|up to|upto|max(?:imum)?|at most|no more than|not more than|not over|not above|within|tops)|<=?)\s*" + Pre + Num + Post + NotUnit)]
    public static partial Regex Upper();

    [GeneratedRegex(@"(?<![\w.])" + Pre + Num + Post + @"\s+(?:or less|or under|or below|or cheaper|and under|and below|max(?:imum)?|tops|at most)\b")]
    public static partial Regex UpperSuffix();

    [GeneratedRegex(@"(?:(?<![\w-])(?:over|above|more than|greater than|at least|min(?:imum)?|starting at|from)|>=?)\s*" + Pre + Num + Post + NotUnit)]
    public static partial Regex Lower();

    [GeneratedRegex(@"(?<![\w.])" + Pre + Num + Post + @"\s+(?:and up|and over|and above|or more)\b|(?<![\w.])(?<cur>\$|€|£)\s?" + Num + @"\s?(?:\+|plus\b)")]
    public static partial Regex LowerSuffix();

    [GeneratedRegex(@"(?<![\w-])(?:cheapest|lowest[- ]price[sd]?|price low to high|low to high|least expensive)(?![\w-])")]
    public static partial Regex SortCheapest();

    [GeneratedRegex(@"(?<![\w-])(?:(?:best|top|highest)[- ]rated|best[- ]reviewed|top[- ]reviewed|highest[- ]rating)(?![\w-])")]
    public static partial Regex SortBestRated();

    [GeneratedRegex(@"(?<![\w-])(?:newest|latest|most recent|new arrivals?|just released)(?![\w-])")]
    public static partial Regex SortNewest();

    [GeneratedRegex(@"(?<![\w$])\$\$+(?![\w$])|(?<![\w-])(?:cheap|budget|affordable|inexpensive|low[- ]cost|low[- ]priced|bargain|economical)(?![\w-])")]
    public static partial Regex PriceSensitive();

    [GeneratedRegex(@"(?<![\w.$€£])(?<size>(?:[0-9]+(?:\.[0-9]+)?\s?(?:x|×|by)\s?)*(?:[0-9]+\s[0-9]+/[0-9]+|[0-9]+/[0-9]+|[0-9]+(?:\.[0-9]+)?))\s?-?" + Units)]
    public static partial Regex Size();

    /// <summary>A cue word of negation, or a leading dash on a word ("-wool").</summary>
    [GeneratedRegex(@"(?<![\w-])(?:not|without|no|except|excluding|exclude|minus|sans|w/o)\s+|(?<=^|\s)-(?=[a-z0-9])")]
    public static partial Regex NegationCue();

    public static double Number(Match m, string group, string kGroup)
    {
        var value = double.Parse(m.Groups[group].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return m.Groups[kGroup].Success ? value * 1000 : value;
    }

    /// <summary>ISO currency of the match's currency words or symbols, or null when none was written.</summary>
    public static string? Currency(Match m)
    {
        foreach (Capture c in m.Groups["cur"].Captures)
        {
            switch (c.Value)
            {
                case "€" or "eur" or "euro" or "euros":
                    return "EUR";
                case "£" or "gbp":
                    return "GBP";
                case "$" or "usd" or "dollar" or "dollars" or "bucks":
                    return "USD";
            }
        }

        return null;
    }

    /// <summary>"36 in." -> "36 in", "2tb" -> "2 tb", "24 x 36 inches" -> "24x36 in".</summary>
    public static string NormalizeSize(Match m)
    {
        var number = m.Groups["size"].Value.Replace(" x ", "x", StringComparison.Ordinal).Replace(" by ", "x", StringComparison.Ordinal)
            .Replace("×", "x", StringComparison.Ordinal).Replace(" x", "x", StringComparison.Ordinal).Replace("x ", "x", StringComparison.Ordinal);
        var unit = m.Groups["unit"].Value switch
        {
            "in." or "inch" or "inches" or "\"" or "''" => "in",
            "feet" or "foot" => "ft",
            "watt" or "watts" => "w",
            "volt" or "volts" => "v",
            "lbs" => "lb",
            "quart" or "quarts" => "qt",
            "gallon" or "gallons" => "gal",
            "megapixel" or "megapixels" => "mp",
            var u => u,
        };
        return $"{number} {unit}";
    }
}

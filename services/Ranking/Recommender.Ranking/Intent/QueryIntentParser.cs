using System.Globalization;
using System.Text.RegularExpressions;

namespace Recommender.Ranking.Intent;

/// <summary>
/// A grammar for the constraints shoppers type: price bounds ("under $50", "less than 80", "over 20",
/// "between 20 and 40", "$20-$40", "50 dollars or less") and negation ("not wool", "without bluetooth", "no hp").
/// What is left is the text to match. Spans index into the normalized query.
/// </summary>
public static partial class QueryIntentParser
{
    public static ParsedIntent Parse(string query)
    {
        var normalized = WhiteSpace().Replace(query.Trim().ToLowerInvariant(), " ");
        var spans = new List<IntentSlotSpan>();
        var consumed = new bool[normalized.Length];
        double? min = null;
        double? max = null;

        foreach (Match m in Between().Matches(normalized))
        {
            var a = Number(m.Groups["a"].Value);
            var b = Number(m.Groups["b"].Value);
            min = Math.Min(a, b);
            max = Math.Max(a, b);
            Take(m, "price_range", $"{min}-{max}");
        }

        foreach (Match m in Upper().Matches(normalized))
        {
            if (IsFree(m))
            {
                max = Number(m.Groups["n"].Value);
                Take(m, "price_max", max.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        foreach (Match m in UpperSuffix().Matches(normalized))
        {
            if (IsFree(m))
            {
                max = Number(m.Groups["n"].Value);
                Take(m, "price_max", max.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        foreach (Match m in Lower().Matches(normalized))
        {
            if (IsFree(m))
            {
                min = Number(m.Groups["n"].Value);
                Take(m, "price_min", min.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        var negated = new List<string>();
        foreach (Match m in Negation().Matches(normalized))
        {
            if (IsFree(m))
            {
                var term = m.Groups["t"].Value;
                negated.Add(term);
                Take(m, "negation", term);
            }
        }

        var text = new char[normalized.Length];
        for (var i = 0; i < normalized.Length; i++)
        {
            text[i] = consumed[i] ? ' ' : normalized[i];
        }

        var remaining = WhiteSpace().Replace(new string(text), " ").Trim();
        return new ParsedIntent(normalized, remaining, min, max, "USD", negated, spans.OrderBy(s => s.Start).ToList());

        bool IsFree(Match m)
        {
            for (var i = m.Index; i < m.Index + m.Length; i++)
            {
                if (consumed[i])
                {
                    return false;
                }
            }

            return true;
        }

        void Take(Match m, string slot, string value)
        {
            for (var i = m.Index; i < m.Index + m.Length; i++)
            {
                consumed[i] = true;
            }

            spans.Add(new IntentSlotSpan(slot, m.Index, m.Length, value));
        }
    }

    private static double Number(string s) => double.Parse(s.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"(?:between|from)\s+\$?\s?(?<a>\d+(?:\.\d+)?)\s?(?:\$|usd|dollars?)?\s+(?:and|to|-)\s+\$?\s?(?<b>\d+(?:\.\d+)?)\s?(?:\$|usd|dollars?)?|\$\s?(?<a>\d+(?:\.\d+)?)\s?(?:-|to)\s?\$?\s?(?<b>\d+(?:\.\d+)?)")]
    private static partial Regex Between();

    [GeneratedRegex(@"(?:under|below|less than|cheaper than|up to|max(?:imum)?|at most|no more than|<=?)\s*" + "\\$?\\s?(?<n>\\d{1,3}(?:,\\d{3})+|\\d+(?:\\.\\d+)?)\\s?(?:\\$|usd|dollars?|bucks)?")]
    private static partial Regex Upper();

    [GeneratedRegex("\\$?\\s?(?<n>\\d{1,3}(?:,\\d{3})+|\\d+(?:\\.\\d+)?)\\s?(?:\\$|usd|dollars?|bucks)?\\s+(?:or less|or under|or cheaper|max)\\b")]
    private static partial Regex UpperSuffix();

    [GeneratedRegex(@"(?:over|above|more than|at least|min(?:imum)?|>=?)\s*" + "\\$?\\s?(?<n>\\d{1,3}(?:,\\d{3})+|\\d+(?:\\.\\d+)?)\\s?(?:\\$|usd|dollars?|bucks)?")]
    private static partial Regex Lower();

    [GeneratedRegex(@"(?:(?<=^|\s)(?:not|without|no|except|excluding)\s+|(?<=^|\s)-)(?<t>[a-z0-9][a-z0-9&.'-]*)")]
    private static partial Regex Negation();
}

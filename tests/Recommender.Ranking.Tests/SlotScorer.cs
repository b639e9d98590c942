using System.Globalization;
using System.Text;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>Slot precision and recall of parsed intents against expected ones, counted over (query, value) pairs.</summary>
public sealed class SlotScorer
{
    public static readonly string[] Slots = ["price_min", "price_max", "excluded_brands", "brands", "negated_terms", "colour", "category"];

    private readonly Dictionary<string, (int Tp, int Fp, int Fn)> _counts = Slots.ToDictionary(s => s, _ => (0, 0, 0));

    public List<string> Misses { get; } = [];

    public int Queries { get; private set; }

    public void Add(string query, ShoppingIntent expected, ShoppingIntent actual, IReadOnlyList<string>? categoryPath = null)
    {
        Queries++;
        Score(query, "price_min", Price(expected.PriceMin), Price(actual.PriceMin));
        Score(query, "price_max", Price(expected.PriceMax), Price(actual.PriceMax));
        Score(query, "excluded_brands", expected.ExcludedBrands, actual.ExcludedBrands);
        Score(query, "brands", expected.Brands, actual.Brands);
        Score(query, "negated_terms", expected.NegatedTerms, actual.NegatedTerms);
        Score(query, "colour", One(expected.Colour), One(actual.Colour));
        if (expected.Category is not null)
        {
            // Any level of the pin's category path is a right answer: the category filter matches any level.
            var right = actual.Category is not null && (categoryPath ?? [expected.Category]).Contains(actual.Category, StringComparer.OrdinalIgnoreCase);
            Score(query, "category", One(expected.Category), right ? One(expected.Category) : One(actual.Category));
        }
    }

    public double Precision(string slot)
    {
        var (tp, fp, _) = _counts[slot];
        return tp + fp == 0 ? 1 : tp / (double)(tp + fp);
    }

    public double Recall(string slot)
    {
        var (tp, _, fn) = _counts[slot];
        return tp + fn == 0 ? 1 : tp / (double)(tp + fn);
    }

    public int Support(string slot) => _counts[slot].Tp + _counts[slot].Fn;

    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Queries} queries");
        sb.AppendLine("| slot | expected values | precision | recall |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var slot in Slots)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {slot} | {Support(slot)} | {Precision(slot):F3} | {Recall(slot):F3} |");
        }

        return sb.ToString();
    }

    private void Score(string query, string slot, IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var e = expected.Select(v => v.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var a = actual.Select(v => v.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var tp = e.Count(a.Contains);
        var fp = a.Count(v => !e.Contains(v));
        var fn = e.Count(v => !a.Contains(v));
        var (t, f, n) = _counts[slot];
        _counts[slot] = (t + tp, f + fp, n + fn);
        if (fp + fn > 0)
        {
            Misses.Add($"{slot}: '{query}' expected [{string.Join(", ", e)}] got [{string.Join(", ", a)}]");
        }
    }

    private static string[] Price(double? value) => value is { } v ? [v.ToString("0.##", CultureInfo.InvariantCulture)] : [];

    private static string[] One(string? value) => value is null ? [] : [value];
}

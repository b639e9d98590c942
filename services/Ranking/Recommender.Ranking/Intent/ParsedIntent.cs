namespace Recommender.Ranking.Intent;

/// <summary>What the query asks for: text to match plus hard constraints, with the spans each came from.</summary>
public sealed record ParsedIntent(
    string NormalizedQuery,
    string Text,
    double? PriceMin,
    double? PriceMax,
    string Currency,
    IReadOnlyList<string> NegatedTerms,
    IReadOnlyList<IntentSlotSpan> Spans);

public sealed record IntentSlotSpan(string Slot, int Start, int Length, string Value);

namespace Recommender.Embeddings.Evaluation;

/// <summary>
/// Ranking metrics over graded judgments. Gain of a product = label - 1 (so 1 = not relevant gains nothing, 3 gains
/// 2); unjudged products gain nothing. A product is relevant for recall when its label is at least
/// <see cref="RelevantLabel"/>.
/// </summary>
public static class RetrievalMetrics
{
    public const float RelevantLabel = 2f;

    public static double NdcgAt(int k, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, float> labels)
    {
        double dcg = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            if (labels.TryGetValue(ranked[i], out var label))
            {
                dcg += Gain(label) / Math.Log2(i + 2);
            }
        }

        var ideal = labels.Values.Select(Gain).Where(g => g > 0).OrderDescending().Take(k).Select((g, i) => g / Math.Log2(i + 2)).Sum();
        return ideal > 0 ? dcg / ideal : double.NaN;
    }

    public static double RecallAt(int k, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, float> labels)
    {
        var relevant = labels.Where(l => l.Value >= RelevantLabel).Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        if (relevant.Count == 0)
        {
            return double.NaN;
        }

        return ranked.Take(k).Count(relevant.Contains) / (double)relevant.Count;
    }

    private static double Gain(float label) => Math.Max(0, label - 1);
}

using Recommender.Embeddings.Training;

namespace Recommender.Cli.Training;

/// <summary>Graded labels of one file, with how its labels map to the ranker's integer grades.</summary>
public sealed record JudgmentSet(string File, IReadOnlyList<Judgment> Judgments, Func<float, int> Grade, int MaxGrade);

/// <summary>
/// Turns a <c>--judgments</c> file into graded labels. The extension point for new kinds of label files: an
/// engagement log (clicks/saves/purchases as implicit grades) plugs in as another source that claims its files in
/// <see cref="CanRead"/>; <see cref="JudgmentSources"/> asks each source in turn.
/// </summary>
public interface IJudgmentSource
{
    bool CanRead(string path);

    JudgmentSet Read(string path);
}

/// <summary>Judgment JSONL (<c>{query_id, query, product_id, label, split}</c>). Labels 1-3 (Home Depot, averaged
/// raters) map to grades round((label - 1) x 2) = 0..4; labels up to 4 (CrowdFlower) to round(label - 1) = 0..3. Both
/// keep the grade proportional to the evaluation's gain (label - 1).</summary>
public sealed class JsonlJudgmentSource : IJudgmentSource
{
    public bool CanRead(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);

    public JudgmentSet Read(string path)
    {
        var judgments = CatalogFiles.ReadJudgments(path);
        var max = judgments.Count == 0 ? 3 : judgments.Max(j => j.Label);
        return max > 3.001f
            ? new JudgmentSet(path, judgments, label => Math.Clamp((int)Math.Round(label - 1), 0, 3), 3)
            : new JudgmentSet(path, judgments, label => Math.Clamp((int)Math.Round((label - 1) * 2), 0, 4), 4);
    }
}

public static class JudgmentSources
{
    /// <summary>Asked in order; add an engagement-log source ahead of the JSONL one to claim its files.</summary>
    public static List<IJudgmentSource> All { get; } = [new JsonlJudgmentSource()];

    public static JudgmentSet Read(string path) =>
        (All.FirstOrDefault(s => s.CanRead(path)) ?? throw new ArgumentException($"No judgment reader for '{path}' (expected .jsonl or .jsonl.gz)."))
        .Read(path);
}

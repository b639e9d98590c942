using Recommender.Embeddings.Training;
using Recommender.Ranking.Engagement;

namespace Recommender.Cli.Training;

/// <summary>Graded labels of one file, with how its labels map to the ranker's integer grades. <paramref name="FoundAt"/>
/// is the lowest label that means "this search found what it wanted" (the query-log expansion's pairs): 2 in judgment
/// files (the evaluation's "relevant"), 1 (a click) in engagement logs.</summary>
public sealed record JudgmentSet(string File, IReadOnlyList<Judgment> Judgments, Func<float, int> Grade, int MaxGrade, float FoundAt = 2);

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

/// <summary>A Ranking service's engagement-log folder (<c>engagement-*.jsonl</c> + <c>searches-*.jsonl</c>, see
/// docs/engagement.md): implicit grades per (search, pin), purchase 4 &gt; add_to_cart 3 &gt; save 2 &gt; click 1 &gt;
/// impression without a click 0, split by a hash of the query text (<see cref="ImplicitJudgments"/>).</summary>
public sealed class EngagementLogJudgmentSource : IJudgmentSource
{
    public bool CanRead(string path) => Directory.Exists(path);

    public JudgmentSet Read(string path)
    {
        var judgments = ImplicitJudgments.FromLog(path);
        if (judgments.Count == 0)
        {
            throw new ArgumentException($"--judgments: the engagement log folder {path} holds no engagement tied to a logged search.");
        }

        return new JudgmentSet(path, judgments, label => Math.Clamp((int)Math.Round(label), 0, 4), 4, FoundAt: 1);
    }
}

public static class JudgmentSources
{
    /// <summary>Asked in order: a folder is an engagement log, a .jsonl(.gz) file a judgments file.</summary>
    public static List<IJudgmentSource> All { get; } = [new EngagementLogJudgmentSource(), new JsonlJudgmentSource()];

    public static JudgmentSet Read(string path) =>
        (All.FirstOrDefault(s => s.CanRead(path))
         ?? throw new ArgumentException($"--judgments: no reader for '{path}' (expected a .jsonl/.jsonl.gz judgments file or an engagement-log folder)."))
        .Read(path);
}

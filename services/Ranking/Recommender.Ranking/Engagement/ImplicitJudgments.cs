using System.Text;
using System.Text.Json;
using Recommender.Contracts;
using Recommender.Embeddings.Training;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// Turns engagement logs into implicit graded judgments for retraining the ranker, in the shape of the data sets'
/// judgments (<c>{query_id, query, product_id, label, split}</c>): per (search, pin) the strongest engagement —
/// purchase 4 &gt; add_to_cart 3 &gt; save 2 &gt; click 1 &gt; impression without a click 0. Only engagement that names a
/// query id logged as a search counts (the query text comes from the search line); repeats of an idempotency key
/// count once. The split is a deterministic function of the normalised query text, so every search of the same
/// query lands in the same split (no train/val leak).
/// </summary>
public static class ImplicitJudgments
{
    public const string Train = "train";
    public const string Val = "val";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static int Grade(EngagementType kind) => kind switch
    {
        EngagementType.Purchase => 4,
        EngagementType.AddToCart => 3,
        EngagementType.Save => 2,
        EngagementType.Click => 1,
        _ => 0,
    };

    /// <summary>Judgments from the log files in <paramref name="directory"/> (engagement-*.jsonl and searches-*.jsonl
    /// since <paramref name="since"/>), optionally for one tenant, ordered by query id then product id.</summary>
    public static List<Judgment> FromLog(string directory, string? tenant = null, DateTimeOffset? since = null, double valFraction = 0.1)
    {
        var from = since ?? DateTimeOffset.MinValue;
        var searches = EngagementLog.Read(EngagementLog.Files(directory, EngagementLog.SearchPrefix, from));
        var engagement = EngagementLog.Read(EngagementLog.Files(directory, EngagementLog.EngagementPrefix, from));
        return FromRecords(searches.Concat(engagement), tenant, valFraction);
    }

    public static List<Judgment> FromRecords(IEnumerable<EngagementRecord> records, string? tenant = null, double valFraction = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(valFraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(valFraction, 1);
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        var grades = new Dictionary<(string QueryId, string PinId), int>();
        var seen = new HashSet<(string, string)>();
        foreach (var r in records)
        {
            if (tenant is not null && r.Tenant != tenant)
            {
                continue;
            }

            if (r.Type == EngagementRecord.SearchType && r.QueryId is { Length: > 0 } id && r.Query is { Length: > 0 } query)
            {
                queries[id] = query;
            }
            else if (r.Type == EngagementRecord.EngagementType && r.QueryId is { Length: > 0 } qid && r.PinId is { Length: > 0 } pin
                     && EngagementRecord.ParseKind(r.Kind) is { } kind
                     && (r.IdempotencyKey is null || seen.Add((r.Tenant, r.IdempotencyKey))))
            {
                var grade = Grade(kind);
                grades[(qid, pin)] = Math.Max(grades.GetValueOrDefault((qid, pin), 0), grade);
            }
        }

        return grades
            .Where(g => queries.ContainsKey(g.Key.QueryId))
            .Select(g => new Judgment(g.Key.QueryId, queries[g.Key.QueryId], g.Key.PinId, g.Value, SplitOf(queries[g.Key.QueryId], valFraction)))
            .OrderBy(j => j.QueryId, StringComparer.Ordinal).ThenBy(j => j.ProductId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>"val" for about <paramref name="valFraction"/> of distinct queries, "train" for the rest; stable across
    /// runs and machines (FNV-1a 64 of the lower-cased, whitespace-collapsed query).</summary>
    public static string SplitOf(string query, double valFraction = 0.1)
    {
        var normalized = string.Join(' ', query.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(normalized))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash % 10_000 < (ulong)Math.Round(valFraction * 10_000) ? Val : Train;
    }

    /// <summary>Writes judgments as JSON lines in the data sets' shape.</summary>
    public static async Task WriteAsync(IEnumerable<Judgment> judgments, string path, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var j in judgments)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(j, Json).AsMemory(), cancellationToken);
        }
    }
}

using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recommender.Cli.Evaluation;

/// <summary>Bad command-line input (missing file, malformed line); the message names the file and the line.</summary>
public sealed class CliInputException(string message) : Exception(message);

/// <summary>One query to run: its id and text, in the order first seen in the judgments file.</summary>
public sealed record RunQuery(string QueryId, string Query);

/// <summary>One line of a run file: <c>{query_id, product_id, rank, score}</c>.</summary>
public sealed record RunLine(
    [property: JsonPropertyName("query_id")] string QueryId,
    [property: JsonPropertyName("product_id")] string ProductId,
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("score")] double Score);

/// <summary>A judged pair, read strictly (every malformed line is an error naming the file and line).</summary>
public sealed record JudgedPair(string QueryId, string Query, string ProductId, float Label, string Split);

/// <summary>What <c>rank</c> records next to its run (RUN.jsonl.meta.json) so <c>evaluate</c> can find the products.</summary>
public sealed record RunMetadata
{
    public required IReadOnlyList<string> Products { get; init; }

    public required string Queries { get; init; }

    public required string Models { get; init; }

    public required string Embedder { get; init; }

    public string? RankerPath { get; init; }

    public string? ModelVersion { get; init; }

    public required int Top { get; init; }

    public required int ProductCount { get; init; }

    public required int QueryCount { get; init; }

    public int FailedQueries { get; init; }

    public required double StartSeconds { get; init; }

    public required double IngestSeconds { get; init; }

    public required double QuerySeconds { get; init; }

    public required double TotalSeconds { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Reading and writing the CLI's JSON Lines files: judgments, runs and run sidecars.</summary>
public static class RunFiles
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string MetadataPath(string runPath) => runPath + ".meta.json";

    /// <summary>Comma-separated paths; each must exist.</summary>
    public static List<string> SplitPaths(string value, string option)
    {
        var paths = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (paths.Count == 0)
        {
            throw new CliInputException($"{option} names no file.");
        }

        foreach (var path in paths)
        {
            RequireFile(path, option);
        }

        return paths;
    }

    public static void RequireFile(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"{option}: no file at {Path.GetFullPath(path)}.");
        }
    }

    /// <summary>Every distinct (query_id, query) of a judgments file in first-seen order; labels are not read.</summary>
    public static List<RunQuery> ReadQueries(string path)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var queries = new List<RunQuery>();
        foreach (var (line, root) in ReadObjects(path))
        {
            var id = RequiredString(root, "query_id", path, line);
            var query = RequiredString(root, "query", path, line);
            // A query id is one query; when its text varies between lines (e.g. by whitespace), the first text is run.
            if (seen.ContainsKey(id))
            {
                continue;
            }

            seen[id] = query;
            queries.Add(new RunQuery(id, query));
        }

        return queries;
    }

    public static List<JudgedPair> ReadJudgments(string path)
    {
        var pairs = new List<JudgedPair>();
        foreach (var (line, root) in ReadObjects(path))
        {
            if (!root.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.Number || !label.TryGetSingle(out var value) || !float.IsFinite(value))
            {
                throw new CliInputException($"{path} line {line}: \"label\" must be a number.");
            }

            pairs.Add(new JudgedPair(
                RequiredString(root, "query_id", path, line), RequiredString(root, "query", path, line),
                RequiredString(root, "product_id", path, line), value, OptionalString(root, "split")));
        }

        return pairs;
    }

    public static List<RunLine> ReadRun(string path)
    {
        var lines = new List<RunLine>();
        foreach (var (line, root) in ReadObjects(path))
        {
            if (!root.TryGetProperty("rank", out var rank) || rank.ValueKind != JsonValueKind.Number || !rank.TryGetInt32(out var r) || r < 1)
            {
                throw new CliInputException($"{path} line {line}: \"rank\" must be a positive integer.");
            }

            var score = root.TryGetProperty("score", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;
            lines.Add(new RunLine(RequiredString(root, "query_id", path, line), RequiredString(root, "product_id", path, line), r, score));
        }

        return lines;
    }

    public static async Task WriteRunAsync(string path, IEnumerable<RunLine> lines, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var line in lines)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(line).AsMemory(), cancellationToken);
        }
    }

    public static async Task WriteMetadataAsync(string runPath, RunMetadata metadata, CancellationToken cancellationToken) =>
        await File.WriteAllTextAsync(MetadataPath(runPath), JsonSerializer.Serialize(metadata, Json) + "\n", cancellationToken);

    public static RunMetadata? ReadMetadata(string runPath)
    {
        var path = MetadataPath(runPath);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<RunMetadata>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new CliInputException($"{path}: not a run sidecar ({ex.Message}).");
        }
    }

    private static IEnumerable<(int Line, JsonElement Root)> ReadObjects(string path)
    {
        RequireFile(path, "input");
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var number = 0;
        while (reader.ReadLine() is { } text)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                throw new CliInputException($"{path} line {number}: not valid JSON ({ex.Message}).");
            }

            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new CliInputException($"{path} line {number}: expected a JSON object.");
                }

                yield return (number, doc.RootElement);
            }
        }
    }

    private static string RequiredString(JsonElement root, string name, string path, int line)
    {
        if (root.TryGetProperty(name, out var value))
        {
            // Ids are sometimes numbers in hand-made files; accept them as their text.
            if (value.ValueKind == JsonValueKind.String && value.GetString()!.Trim() is { Length: > 0 } s)
            {
                return s;
            }

            if (value.ValueKind == JsonValueKind.Number)
            {
                return value.GetRawText();
            }
        }

        throw new CliInputException($"{path} line {line}: \"{name}\" is missing or empty.");
    }

    private static string OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!.Trim() : "";

    public static string Format(double value) => double.IsNaN(value) ? "-" : value.ToString("F4", CultureInfo.InvariantCulture);
}

using System.Security.Cryptography;
using System.Text.Json;
using Recommender.Embeddings;
using Recommender.Ranking.Model;

namespace Recommender.Ranking.Pipeline.QueryLog;

/// <summary>
/// Query-log document expansion ("the queries that found this pin"): per pin id, the text of the searches that led
/// to it (judged relevant in training data; in production, searches joined with clicks and better from the
/// engagement log). A pin whose title says "Simpson Strong-Tie 90 degree 2x4 bracket" is found by "l bracket" and
/// "angle bracket" for as long as those searches keep finding it. Immutable; the service holds the one that ships
/// with the trained ranker (<see cref="QueryLogRegistry"/>), and <c>train</c> builds one per cross-fitting fold so a
/// train query's features never come from an expansion that holds that query.
/// <para>Features (<see cref="RankingFeature.QueryLogBm25"/> .. <see cref="RankingFeature.QueryLogQueries"/>): BM25
/// of the query over the pin's expansion text (IDF over the expanded pins) / best in set, share of query terms in
/// it, the best Jaccard overlap of the query with one expansion query, and how many queries found the pin.</para>
/// <para>Pins are keyed by id only (like the ranker, the artifact is tenant-agnostic).</para>
/// </summary>
public sealed class QueryLogExpansion
{
    public const string Format = "query-log-v1";
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const int CountCap = 20;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Dictionary<string, PinLog> _pins;

    /// <summary>Tells this log's <see cref="Link"/>s from an earlier log's (a number, so a link keeps no old log alive).</summary>
    private readonly int _generation = Interlocked.Increment(ref s_generations);

    private static int s_generations;
    private readonly Dictionary<int, int> _documentFrequency;
    private readonly double _averageLength;

    private QueryLogExpansion(Dictionary<string, PinLog> pins, string version)
    {
        _pins = pins;
        Version = version;
        _documentFrequency = [];
        long length = 0;
        foreach (var pin in pins.Values)
        {
            length += pin.Length;
            foreach (var term in pin.Terms)
            {
                _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
            }
        }

        _averageLength = pins.Count == 0 ? 1 : Math.Max(1, length / (double)pins.Count);
        Queries = pins.Values.Sum(p => p.QuerySets.Length);
    }

    /// <summary>No query log: every query-log feature stays 0.</summary>
    public static QueryLogExpansion Empty { get; } = new([], "none");

    /// <summary><c>qlog-&lt;first 12 hex of SHA-256 of the saved file&gt;</c>, or "none".</summary>
    public string Version { get; }

    public int Pins => _pins.Count;

    /// <summary>(pin, query) pairs held (a query finding several pins counts once per pin).</summary>
    public int Queries { get; }

    /// <summary>The distinct normalised queries that found <paramref name="pinId"/> (for tests and explanations).</summary>
    public IReadOnlyList<string> QueriesOf(string pinId) => _pins.TryGetValue(pinId, out var pin) ? pin.Texts : [];

    /// <summary>Builds the expansion from (pin id, query text) pairs; repeats of the same normalised query for the
    /// same pin count once.</summary>
    public static QueryLogExpansion Build(IEnumerable<(string PinId, string Query)> found)
    {
        var byPin = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (pinId, query) in found)
        {
            var text = Normalize(query);
            if (text.Length == 0)
            {
                continue;
            }

            if (!byPin.TryGetValue(pinId, out var set))
            {
                byPin[pinId] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.Add(text);
        }

        var document = new QueryLogDocument
        {
            Format = Format,
            Pins = byPin.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
        };
        return FromDocument(document, VersionOf(JsonSerializer.SerializeToUtf8Bytes(document, Json)));
    }

    /// <summary>Writes <c>query-log-&lt;version&gt;.json</c> into <paramref name="directory"/>; returns the file name.</summary>
    public string Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var bytes = Serialize();
        var file = $"query-log-{VersionOf(bytes)}.json";
        var path = Path.Combine(directory, file);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return file;
    }

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(
        new QueryLogDocument
        {
            Format = Format,
            Pins = _pins.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Texts, StringComparer.Ordinal),
        },
        Json);

    public static QueryLogExpansion Load(string path) => Parse(File.ReadAllBytes(path), path);

    private static QueryLogExpansion Parse(byte[] bytes, string path)
    {
        QueryLogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<QueryLogDocument>(bytes, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a query-log file ({e.Message}).", e);
        }

        if (document is null || document.Format != Format || document.Pins is null)
        {
            throw new InvalidDataException($"{path}: not a {Format} file.");
        }

        return FromDocument(document, VersionOf(bytes));
    }

    /// <summary>The query log that ships with the ranker artifact in <paramref name="rankerDirectory"/> (its manifest's
    /// <c>query_log</c> parameter names the file, <c>query_log_sha256</c> its hash), or <see cref="Empty"/> when the
    /// artifact has none.</summary>
    public static QueryLogExpansion LoadForRanker(string rankerDirectory)
    {
        var manifest = RankerArtifact.ReadManifest(rankerDirectory);
        if (!manifest.Parameters.TryGetValue(ParameterFile, out var file) || string.IsNullOrEmpty(file))
        {
            return Empty;
        }

        var path = Path.Combine(rankerDirectory, Path.GetFileName(file));
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{rankerDirectory}: the manifest names query log {file}, which is missing.");
        }

        var bytes = File.ReadAllBytes(path);
        if (manifest.Parameters.TryGetValue(ParameterSha256, out var expected)
            && !string.Equals(expected, Convert.ToHexStringLower(SHA256.HashData(bytes)), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: SHA-256 does not match the ranker manifest.");
        }

        return Parse(bytes, path);
    }

    /// <summary>Ranker manifest parameter naming the query-log file next to it.</summary>
    public const string ParameterFile = "query_log";

    /// <summary>Ranker manifest parameter holding the query-log file's SHA-256 (hex).</summary>
    public const string ParameterSha256 = "query_log_sha256";

    /// <summary>Fills the query-log features of every candidate for the query's tokens (the same tokens the other
    /// features use). Per candidate: one dictionary lookup and integer compares, no allocations.</summary>
    public void Extract(IReadOnlyList<string> queryTokens, IReadOnlyList<Candidate> candidates)
    {
        if (_pins.Count == 0 || candidates.Count == 0)
        {
            return;
        }

        var query = Prepare(queryTokens);
        double max = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var f = candidates[i].Features.Values;
            Score(query, Entry(candidates[i]), f);
            max = Math.Max(max, f[RankingFeature.QueryLogBm25]);
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            var f = candidates[i].Features.Values;
            f[RankingFeature.QueryLogBm25] = max > 0 ? f[RankingFeature.QueryLogBm25] / max : 0;
        }
    }

    private PreparedQuery Prepare(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = SparseEncoder.TermId(tokens[i]);
        }

        Array.Sort(ids);
        var distinct = ids.AsSpan()[..Dedupe(ids)].ToArray();
        var idf = new double[distinct.Length];
        for (var q = 0; q < distinct.Length; q++)
        {
            var df = _documentFrequency.GetValueOrDefault(distinct[q]);
            idf[q] = Math.Log(1 + ((_pins.Count - df + 0.5) / (df + 0.5)));
        }

        return new PreparedQuery(distinct, idf);
    }

    /// <summary>The candidate's entry in this log, or null. Kept on its <see cref="RetrievedPin"/> with this log's
    /// generation (one reference, so a reader sees a generation with its own entry), so a version's later searches look
    /// nothing up by id; a swapped-in log finds another generation there and looks again.</summary>
    private PinLog? Entry(Candidate candidate)
    {
        if (candidate.Retrieved is not { } retrieved)
        {
            return _pins.GetValueOrDefault(candidate.Pin.Id);
        }

        if (retrieved.QueryLog is Link link && link.Generation == _generation)
        {
            return link.Entry;
        }

        var entry = _pins.GetValueOrDefault(candidate.Pin.Id);
        retrieved.QueryLog = new Link(_generation, entry);
        return entry;
    }

    private void Score(PreparedQuery query, PinLog? pin, Span<double> f)
    {
        f[RankingFeature.QueryLogBm25] = 0;
        f[RankingFeature.QueryLogCoverage] = 0;
        f[RankingFeature.QueryLogBestMatch] = 0;
        f[RankingFeature.QueryLogQueries] = 0;
        if (pin is null)
        {
            return;
        }

        f[RankingFeature.QueryLogQueries] = Math.Log(1 + Math.Min(pin.QuerySets.Length, CountCap)) / Math.Log(1 + CountCap);
        var ids = query.Ids;
        if (ids.Length == 0)
        {
            return;
        }

        var norm = K1 * (1 - B + (B * pin.Length / _averageLength));
        double bm25 = 0;
        var covered = 0;
        for (var q = 0; q < ids.Length; q++)
        {
            var at = Array.BinarySearch(pin.Terms, ids[q]);
            if (at >= 0)
            {
                covered++;
                double tf = pin.Frequency[at];
                bm25 += query.Idf[q] * tf * (K1 + 1) / (tf + norm);
            }
        }

        f[RankingFeature.QueryLogBm25] = bm25;
        f[RankingFeature.QueryLogCoverage] = covered / (double)ids.Length;
        if (covered == 0)
        {
            return;
        }

        double best = 0;
        foreach (var set in pin.QuerySets)
        {
            var common = CountCommon(ids, set);
            best = Math.Max(best, common / (double)(ids.Length + set.Length - common));
        }

        f[RankingFeature.QueryLogBestMatch] = best;
    }

    /// <summary>Common elements of two sorted distinct arrays.</summary>
    private static int CountCommon(int[] a, int[] b)
    {
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                common++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return common;
    }

    private static int Dedupe(int[] sorted)
    {
        var n = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            if (n == 0 || sorted[n - 1] != sorted[i])
            {
                sorted[n++] = sorted[i];
            }
        }

        return n;
    }

    private static string Normalize(string query) => string.Join(' ', TextTokenizer.Tokenize(query));

    private static string VersionOf(byte[] bytes) => "qlog-" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];

    private static QueryLogExpansion FromDocument(QueryLogDocument document, string version)
    {
        var pins = new Dictionary<string, PinLog>(document.Pins!.Count, StringComparer.Ordinal);
        foreach (var (id, texts) in document.Pins)
        {
            if (texts is { Length: > 0 })
            {
                pins[id] = PinLog.Of(texts);
            }
        }

        return new QueryLogExpansion(pins, version);
    }

    private sealed record PreparedQuery(int[] Ids, double[] Idf);

    /// <summary>A pin's entry as one log found it (<see cref="Entry"/>).</summary>
    private sealed record Link(int Generation, PinLog? Entry);

    /// <summary>One pin's expansion: its queries' term ids as sorted sets, the distinct terms with the number of
    /// queries holding each, and the total length.</summary>
    private sealed class PinLog
    {
        public required string[] Texts { get; init; }

        public required int[][] QuerySets { get; init; }

        public required int[] Terms { get; init; }

        public required int[] Frequency { get; init; }

        public required int Length { get; init; }

        public static PinLog Of(string[] texts)
        {
            var sets = texts.Select(t => TextTokenizer.Tokenize(t).Select(SparseEncoder.TermId).Distinct().Order().ToArray())
                .Where(s => s.Length > 0)
                .ToArray();
            var counts = sets.SelectMany(s => s).GroupBy(id => id).OrderBy(g => g.Key).ToArray();
            return new PinLog
            {
                Texts = texts,
                QuerySets = sets,
                Terms = counts.Select(g => g.Key).ToArray(),
                Frequency = counts.Select(g => g.Count()).ToArray(),
                Length = sets.Sum(s => s.Length),
            };
        }
    }

    private sealed class QueryLogDocument
    {
        public string? Format { get; init; }

        public Dictionary<string, string[]>? Pins { get; init; }
    }
}

namespace Recommender.Embeddings.Training;

/// <summary>A positive pair. Two pairs with the same anchor or positive key are never used as each other's negative.</summary>
public readonly record struct TrainingPair(
    IReadOnlyList<string> Anchor, IReadOnlyList<string> Positive, int AnchorKey, int PositiveKey,
    IReadOnlyList<string>? Negative = null, int NegativeKey = -1);

/// <summary>How the self-supervised and judged pairs are drawn.</summary>
public sealed record PairOptions
{
    /// <summary>Judgments at or above this label are positives (train split only).</summary>
    public float PositiveLabel { get; init; } = 2.33f;

    /// <summary>How many times each judged pair appears per epoch.</summary>
    public int JudgmentRepeats { get; init; } = 2;

    /// <summary>Pseudo-queries (title spans) drawn per product per epoch.</summary>
    public int SpanQueries { get; init; } = 1;

    /// <summary>Chance that a span is cut out of the title it is paired with (forces learning co-occurrence).</summary>
    public float RemoveSpan { get; init; } = 0.5f;

    public int MaxContextTokens { get; init; } = 48;

    /// <summary>Hard negatives for judged queries: a random product among the top this many lexical (BM25)
    /// matches of the query that is not judged for it. 0 turns them off.</summary>
    public int HardNegativeDepth { get; init; } = 30;
}

/// <summary>
/// Draws training pairs from the catalog itself (no labels needed) and, optionally, from relevance judgments:
/// a title against its description, attributes, brand and category; a short span of a title (a pseudo-query)
/// against the title; a judged query against a relevant product's title.
/// </summary>
public sealed class PairSampler
{
    private const int JudgmentKeyBit = 1 << 30;
    private readonly PairOptions _options;
    private readonly List<string>[] _titles;
    private readonly List<List<string>>[] _contexts;
    private readonly List<(List<string> Query, int QueryKey, int Product, int[] Negatives)> _judged = [];

    public PairSampler(IReadOnlyList<CatalogProduct> products, IReadOnlyList<Judgment> judgments, PairOptions options)
    {
        _options = options;
        _titles = new List<string>[products.Count];
        _contexts = new List<List<string>>[products.Count];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < products.Count; p++)
        {
            var product = products[p];
            index.TryAdd(product.Id, p);
            _titles[p] = TextTokenizer.Tokenize(product.Title);
            var contexts = new List<List<string>>();
            AddContext(contexts, product.Description);
            AddContext(contexts, string.Join(" . ", product.Attributes
                .Where(a => a.Value.Length > 2 && !double.TryParse(a.Value, System.Globalization.CultureInfo.InvariantCulture, out _))
                .Select(a => a.Value)));
            AddContext(contexts, string.Join(" . ", new[] { product.Brand }.Concat(product.Categories)));
            _contexts[p] = contexts;
        }

        var queryKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        var judgedFor = judgments.Where(j => j.Split == "train")
            .GroupBy(j => j.Query, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(j => j.ProductId).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var lexical = options.HardNegativeDepth > 0 ? new LexicalIndex(_titles) : null;
        var negativesOf = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var j in judgments)
        {
            if (j.Split != "train" || j.Label < options.PositiveLabel || !index.TryGetValue(j.ProductId, out var product))
            {
                continue;
            }

            var tokens = TextTokenizer.Tokenize(j.Query);
            if (tokens.Count == 0)
            {
                continue;
            }

            if (!queryKeys.TryGetValue(j.Query, out var key))
            {
                key = JudgmentKeyBit | queryKeys.Count;
                queryKeys[j.Query] = key;
            }

            if (!negativesOf.TryGetValue(j.Query, out var negatives))
            {
                var judged = judgedFor[j.Query];
                negatives = lexical is null ? [] : lexical.Top(tokens, options.HardNegativeDepth)
                    .Where(p => !judged.Contains(products[p].Id)).ToArray();
                negativesOf[j.Query] = negatives;
            }

            _judged.Add((tokens, key, product, negatives));
        }

        JudgmentPairs = _judged.Count;
    }

    public int JudgmentPairs { get; }

    public List<TrainingPair> Epoch(SplitMix64 rng)
    {
        var pairs = new List<TrainingPair>((_titles.Length * 3) + (_judged.Count * _options.JudgmentRepeats));
        for (var p = 0; p < _titles.Length; p++)
        {
            var title = _titles[p];
            if (title.Count == 0)
            {
                continue;
            }

            if (_contexts[p].Count > 0)
            {
                pairs.Add(new TrainingPair(title, _contexts[p][rng.NextInt(_contexts[p].Count)], p, p));
            }

            for (var s = 0; s < _options.SpanQueries && title.Count >= 2; s++)
            {
                var length = 1 + rng.NextInt(Math.Min(3, title.Count - 1));
                var start = rng.NextInt(title.Count - length + 1);
                var span = title.GetRange(start, length);
                var rest = rng.NextFloat() < _options.RemoveSpan
                    ? [.. title.Take(start), .. title.Skip(start + length)]
                    : title;
                pairs.Add(new TrainingPair(span, rest, p, p));
            }
        }

        for (var r = 0; r < _options.JudgmentRepeats; r++)
        {
            foreach (var (query, key, product, negatives) in _judged)
            {
                var negative = negatives.Length > 0 ? negatives[rng.NextInt(negatives.Length)] : -1;
                pairs.Add(new TrainingPair(query, _titles[product], key, product, negative >= 0 ? _titles[negative] : null, negative));
            }
        }

        rng.Shuffle(pairs);
        return pairs;
    }

    private void AddContext(List<List<string>> contexts, string text)
    {
        var tokens = TextTokenizer.Tokenize(text);
        if (tokens.Count >= 2)
        {
            contexts.Add(tokens.Count > _options.MaxContextTokens ? tokens.GetRange(0, _options.MaxContextTokens) : tokens);
        }
    }
}

/// <summary>A small BM25 index over token lists, used to mine hard negatives (same term ids as the sparse encoder).</summary>
internal sealed class LexicalIndex
{
    private readonly Dictionary<int, List<(int Doc, float Weight)>> _postings = [];
    private readonly int _docs;

    public LexicalIndex(IReadOnlyList<List<string>> documents)
    {
        _docs = documents.Count;
        for (var d = 0; d < documents.Count; d++)
        {
            var vector = SparseEncoder.EncodeDocument(documents[d]);
            for (var i = 0; i < vector.Count; i++)
            {
                if (!_postings.TryGetValue(vector.Indices[i], out var list))
                {
                    list = [];
                    _postings[vector.Indices[i]] = list;
                }

                list.Add((d, vector.Values[i]));
            }
        }
    }

    public IEnumerable<int> Top(IReadOnlyList<string> query, int k)
    {
        var scores = new Dictionary<int, float>();
        var q = SparseEncoder.EncodeQuery(query);
        foreach (var term in q.Indices)
        {
            if (!_postings.TryGetValue(term, out var list))
            {
                continue;
            }

            var idf = (float)Math.Log(1 + ((_docs - list.Count + 0.5) / (list.Count + 0.5)));
            foreach (var (doc, weight) in list)
            {
                scores[doc] = scores.GetValueOrDefault(doc) + (idf * weight);
            }
        }

        return scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Take(k).Select(s => s.Key);
    }
}

using BenchmarkDotNet.Attributes;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.LoadTests;
using Recommender.Ranking;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Benchmarks;

/// <summary>
/// The embedded store's sparse branch (<see cref="Segment.SparseTop"/>) at the load client's scale: the load catalog
/// (55,000 pins: the Icecat sample and its variants), the load client's query mix (2,000 queries, seed 7) parsed as
/// Ranking parses them (intent, spell correction, tokens, sparse encoding, the intent's filter), limit 200 (Ranking's
/// candidate count; the prefetch of the branch). One operation = the whole mix; the per-query cost is the mean / 2,000.
/// `SelectOnly` is the filter evaluation the sparse branch shares with the dense one (to subtract).
/// </summary>
[MemoryDiagnoser]
public class SparseBenchmarks
{
    private const int QueryCount = 2_000;
    private const int Limit = 200;
    private Segment _segment = null!;
    private (SparseVector Sparse, CompiledFilter? Filter)[] _queries = [];

    [Params(55_000)]
    public int Pins { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_segment, _queries, _) = Build(Pins);
    }

    [Benchmark(OperationsPerInvoke = QueryCount)]
    public int SparseMix()
    {
        var hits = 0;
        foreach (var (sparse, filter) in _queries)
        {
            using var selection = _segment.Select(filter, null);
            hits += _segment.SparseTop(sparse, selection, Limit).Count;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = QueryCount)]
    public int SelectOnly()
    {
        var slots = 0;
        foreach (var (_, filter) in _queries)
        {
            using var selection = _segment.Select(filter, null);
            slots += selection?.Count ?? 0;
        }

        return slots;
    }

    /// <summary>`--sparse-cpu`: the mix <paramref name="rounds"/> times after a warm-up; prints what the queries look like
    /// and the process CPU time per query of each round.</summary>
    public static void RunCpu(int rounds)
    {
        var (segment, queries, stats) = Build(55_000);
        var terms = queries.GroupBy(q => q.Sparse.Count).OrderBy(g => g.Key).Select(g =>
            $"{g.Key} terms: {g.Count()} (mean postings {g.Average(q => q.Sparse.Indices.Sum(stats.DocumentFrequency)):F0})");
        Console.WriteLine($"{queries.Length} queries; {string.Join(", ", terms)}; filtered {queries.Count(q => q.Filter is not null)}");
        var bench = new SparseBenchmarks { _segment = segment, _queries = queries };
        var first = System.Diagnostics.Stopwatch.StartNew();
        segment.SparseTop(queries[0].Sparse, null, Limit);
        Console.WriteLine($"first search (ranks the ids, compiles): {first.Elapsed.TotalMilliseconds:F1} ms");
        first.Restart();
        segment.SparseTop(queries[0].Sparse, null, Limit);
        Console.WriteLine($"second search: {first.Elapsed.TotalMilliseconds:F2} ms");
        for (var i = 0; i < 3; i++)
        {
            bench.SparseMix();
        }

        var perQuery = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var cpu = CpuClock.ProcessMilliseconds();
            bench.SparseMix();
            perQuery.Add((CpuClock.ProcessMilliseconds() - cpu) * 1000 / queries.Length);
        }

        perQuery.Sort();
        Console.WriteLine($"SparseMix CPU per query: median {perQuery[perQuery.Count / 2]:F1} us, min {perQuery[0]:F1} us ({rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    /// <summary>The segment and the parsed query mix, as the load client builds and sends them.</summary>
    internal static (Segment Segment, (SparseVector Sparse, CompiledFilter? Filter)[] Queries, TermStats Terms) Build(int pins)
    {
        const string tenant = "load";
        var catalog = Catalog.Build([], pins, tenant);
        var keywords = new KeywordTable();

        // Sparse scoring does not read dense vectors: a one-dimensional placeholder keeps the segment small.
        var terms = new TermStats();
        var segment = new Segment(1, keywords, terms, new EmbeddedStoreOptions { QuantizeThreshold = 0 });
        foreach (var pin in catalog)
        {
            segment.Upsert(new Storage.StoredPoint(pin, [1f], SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin))), "bench"));
        }

        var intent = IntentModel.Build(catalog, new IntentOptions().CategoryThreshold, new IntentOptions().MaxClassifierRows);
        var vocabulary = intent.Parser.Vocabulary;
        var spell = new RankingOptions().SpellCorrection;
        var queries = QueryMix.Build(catalog, QueryCount, seed: 7).Select(query =>
        {
            var parsed = intent.Parser.Parse(query);
            var text = parsed.Text.Length > 0 ? parsed.Text : parsed.NormalizedQuery;
            text = spell ? vocabulary.Speller.Correct(text) : text;
            var filter = SearchFilterBuilder.Build(null, parsed, vocabulary).ToFilter();
            return (SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(text)), CompiledFilter.Compile(filter, keywords));
        }).ToArray();
        return (segment, queries, terms);
    }
}

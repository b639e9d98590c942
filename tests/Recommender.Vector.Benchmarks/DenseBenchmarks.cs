using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Recommender.Embeddings;
using Recommender.LoadTests;
using Recommender.Ranking;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Benchmarks;

/// <summary>
/// The embedded store's dense branch (<see cref="Segment.DenseTop"/>) at the load client's scale: the load catalog
/// (55,000 pins) embedded by the default embedder, the load client's query mix (2,000 queries, seed 7) parsed and
/// embedded as Ranking does, each with its intent's filter, limit 200 (Ranking's candidate count). The default store
/// options (int8 shortlist, float rescoring). One operation = the whole mix; the per-query cost is the mean / 2,000.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    private const int QueryCount = 2_000;
    private const int Limit = 200;
    private Segment _segment = null!;
    private (float[] Dense, CompiledFilter? Filter)[] _queries = [];

    [Params(55_000)]
    public int Pins { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_segment, _queries) = Build(Pins);
    }

    [Benchmark(OperationsPerInvoke = QueryCount)]
    public int DenseMix()
    {
        var hits = 0;
        foreach (var (dense, filter) in _queries)
        {
            using var selection = _segment.Select(filter, null);
            hits += _segment.DenseTop(dense, selection, Limit).Count;
        }

        return hits;
    }

    /// <summary>`--dense-cpu`: the mix <paramref name="rounds"/> times after a warm-up; the process CPU time per query of
    /// each round (median and best).</summary>
    public static void RunCpu(int rounds)
    {
        var (segment, queries) = Build(55_000);
        Console.WriteLine($"{queries.Length} queries; filtered {queries.Count(q => q.Filter is not null)}");
        var bench = new DenseBenchmarks { _segment = segment, _queries = queries };
        for (var i = 0; i < 3; i++)
        {
            bench.DenseMix();
        }

        var perQuery = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var cpu = CpuClock.ProcessMilliseconds();
            bench.DenseMix();
            perQuery.Add((CpuClock.ProcessMilliseconds() - cpu) * 1000 / queries.Length);
        }

        perQuery.Sort();
        Console.WriteLine($"DenseMix CPU per query: median {perQuery[perQuery.Count / 2]:F1} us, min {perQuery[0]:F1} us ({rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    /// <summary>The segment (default options) and the parsed, embedded query mix, as the load client builds and sends them.</summary>
    internal static (Segment Segment, (float[] Dense, CompiledFilter? Filter)[] Queries) Build(int pins)
    {
        const string tenant = "load";
        var catalog = Catalog.Build([], pins, tenant);
        var embedder = LocalEmbedderLoader.Load(new EmbeddingOptions(), NullLogger.Instance);
        var keywords = new KeywordTable();
        var segment = new Segment(embedder.Dimensions, keywords, new TermStats(), new EmbeddedStoreOptions());
        float[] Embed(string text)
        {
            var vector = new float[embedder.Dimensions];
            embedder.Embed(text, vector);
            return vector;
        }

        foreach (var pin in catalog)
        {
            segment.Upsert(new Storage.StoredPoint(pin, Embed(PinText.Of(pin)), SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin))), embedder.Version));
        }

        var intent = IntentModel.Build(catalog, new IntentOptions().CategoryThreshold, new IntentOptions().MaxClassifierRows);
        var vocabulary = intent.Parser.Vocabulary;
        var queries = QueryMix.Build(catalog, QueryCount, seed: 7).Select(query =>
        {
            var parsed = intent.Parser.Parse(query);
            var text = parsed.Text.Length > 0 ? parsed.Text : parsed.NormalizedQuery;
            var filter = SearchFilterBuilder.Build(null, parsed, vocabulary).ToFilter();
            return (Embed(text), CompiledFilter.Compile(filter, keywords));
        }).ToArray();
        return (segment, queries);
    }
}

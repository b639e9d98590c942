using System.Numerics.Tensors;
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
/// options, in an in-memory store as the service runs it: the clustered index built and calibrated by the mix's first
/// searches during the warm-up (on this catalog it walks), the 4-bit / int8 / float passes after it; with
/// <see cref="Scan"/> the index is off (the scan of every pin). One operation = the whole mix; the per-query cost is
/// the mean / 2,000.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    private const int QueryCount = 2_000;
    private const int Limit = 200;
    private EmbeddedVectorStore? _store;
    private Segment _segment = null!;
    private (float[] Dense, CompiledFilter? Filter)[] _queries = [];

    [Params(55_000)]
    public int Pins { get; set; }

    [Params(false, true)]
    public bool Scan { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_store, _segment, _queries, _) = Build(Pins, Scan);
    }

    [GlobalCleanup]
    public void Cleanup() => _store?.Dispose();

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

    /// <summary>`--dense-cpu` (`--dense-scan-cpu`: index off): the mix <paramref name="rounds"/> times after a warm-up;
    /// the process CPU time per query of each round (median and best).</summary>
    public static void RunCpu(int rounds) => RunCpu(rounds, scan: false, floatRescore: false);

    public static void RunScanCpu(int rounds) => RunCpu(rounds, scan: true, floatRescore: false);

    /// <summary>`--dense-float-cpu`: <see cref="RunCpu(int)"/> with <see cref="EmbeddedStoreOptions.FloatRescore"/> on.</summary>
    public static void RunFloatRescoreCpu(int rounds) => RunCpu(rounds, scan: false, floatRescore: true);

    private static void RunCpu(int rounds, bool scan, bool floatRescore)
    {
        var (store, segment, queries, options) = Build(55_000, scan, floatRescore);
        using var _ = store;
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
        var calibration = segment.Calibration;
        Console.WriteLine(calibration is null ? "index: none (scan)" : $"index: {segment.Index!.Clusters} clusters, calibrated: {string.Join(", ", calibration.Measured)}, walks at {calibration.Fraction}");
        Console.WriteLine($"DenseMix CPU per query: median {perQuery[perQuery.Count / 2]:F1} us, min {perQuery[0]:F1} us ({rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; float rescore {(floatRescore ? "on" : "off")})");
        ReportEstimates(options, segment, queries);
    }

    /// <summary>How far the int8 estimates (<see cref="EmbeddedStoreOptions.FloatRescore"/> off) are from the float
    /// rescore's answer on the mix: the largest and mean |estimate - exact cosine| over the hits, and the share of the
    /// float rescore's hits that the estimates also return.</summary>
    private static void ReportEstimates(EmbeddedStoreOptions options, Segment segment, (float[] Dense, CompiledFilter? Filter)[] queries)
    {
        var was = options.FloatRescore;
        try
        {
            var (hits, same, max, sum) = (0L, 0L, 0.0, 0.0);
            foreach (var (dense, filter) in queries)
            {
                using var selection = segment.Select(filter, null);
                options.FloatRescore = true;
                var exact = segment.DenseTop(dense, selection, Limit).Select(h => h.Entry).ToHashSet();
                options.FloatRescore = false;
                foreach (var (entry, score) in segment.DenseTop(dense, selection, Limit))
                {
                    var error = Math.Abs(score - TensorPrimitives.Dot(segment.VectorAt(entry.Slot), dense));
                    (max, sum, hits, same) = (Math.Max(max, error), sum + error, hits + 1, same + (exact.Contains(entry) ? 1 : 0));
                }
            }

            Console.WriteLine($"int8 estimates against the float rescore: |error| max {max:F4}, mean {sum / Math.Max(1, hits):F5} over {hits:N0} hits; {100.0 * same / Math.Max(1, hits):F2}% of the hits the same");
        }
        finally
        {
            options.FloatRescore = was;
        }
    }

    /// <summary>An in-memory store with the default options (<paramref name="scan"/>: the index off;
    /// <paramref name="floatRescore"/>: <see cref="EmbeddedStoreOptions.FloatRescore"/>) holding the load catalog, its
    /// index built and then calibrated by the mix's first searches, its segment, the parsed, embedded query mix, as the
    /// load client builds and sends them, and the options (the segment reads them on every search).</summary>
    internal static (EmbeddedVectorStore Store, Segment Segment, (float[] Dense, CompiledFilter? Filter)[] Queries, EmbeddedStoreOptions Options) Build(int pins, bool scan, bool floatRescore = false)
    {
        const string tenant = "load";
        var catalog = Catalog.Build([], pins, tenant);
        var embedder = LocalEmbedderLoader.Load(new EmbeddingOptions(), NullLogger.Instance);
        var options = new EmbeddedStoreOptions { DataPath = "", FloatRescore = floatRescore };
        if (scan)
        {
            options.IvfThreshold = 0;
        }

        var store = new EmbeddedVectorStore(Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new VectorSearchOptions()), new BenchEnvironment(), NullLogger<EmbeddedVectorStore>.Instance);
        float[] Embed(string text)
        {
            var vector = new float[embedder.Dimensions];
            embedder.Embed(text, vector);
            return vector;
        }

        foreach (var chunk in catalog.Chunk(1_000))
        {
            store.UpsertAsync([.. chunk.Select(pin => new Storage.StoredPoint(pin, Embed(PinText.Of(pin)),
                SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin))), embedder.Version))], CancellationToken.None).GetAwaiter().GetResult();
        }

        store.WaitForIndexesAsync(CancellationToken.None).GetAwaiter().GetResult();
        var segment = store.SegmentOf(tenant)!;
        var keywords = store.Keywords;

        var intent = IntentModel.Build(catalog, new IntentOptions().CategoryThreshold, new IntentOptions().MaxClassifierRows);
        var vocabulary = intent.Parser.Vocabulary;
        var queries = QueryMix.Build(catalog, QueryCount, seed: 7).Select(query =>
        {
            var parsed = intent.Parser.Parse(query);
            var text = parsed.Text.Length > 0 ? parsed.Text : parsed.NormalizedQuery;
            var filter = SearchFilterBuilder.Build(null, parsed, vocabulary).ToFilter();
            return (Embed(text), CompiledFilter.Compile(filter, keywords));
        }).ToArray();

        // The calibration's samples: the mix's first unfiltered searches, as the service's first searches would be.
        foreach (var (dense, filter) in queries.Where(q => q.Item2 is null).Take(options.IvfCalibrationQueries))
        {
            segment.DenseTop(dense, null, Limit);
        }

        return (store, segment, queries, options);
    }
}

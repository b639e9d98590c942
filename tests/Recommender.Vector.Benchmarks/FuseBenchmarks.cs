using BenchmarkDotNet.Attributes;
using Recommender.Embeddings;
using Recommender.LoadTests;
using Recommender.Ranking;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;
using Recommender.Vector.Tests;

namespace Recommender.Vector.Benchmarks;

/// <summary>
/// The embedded store's hybrid fusion alone, at the load client's scale: the load catalog (55,000 pins) with 256-dim
/// hashing-embedder vectors of each pin's lexical text, the load client's query mix (2,000 queries, seed 7) parsed as
/// Ranking parses them, limit 200 (prefetch 200 per branch). The branches (dense scan, postings walk) are computed once
/// in the setup; one operation = fusing the whole mix (per query: the mean / 2,000). `Reference` is the fusion before
/// session 5's SlotFusion (tests/Recommender.Vector.Tests/ReferenceFusion.cs), `Slot` the current one.
/// </summary>
[MemoryDiagnoser]
public class FuseBenchmarks
{
    private const int QueryCount = 2_000;
    private const int Limit = 200;
    private Segment _segment = null!;
    private Branches[] _branches = [];

    [GlobalSetup]
    public void Setup() => (_segment, _branches) = Build(55_000);

    [Benchmark(Baseline = true, OperationsPerInvoke = QueryCount)]
    public int Reference()
    {
        var hits = 0;
        foreach (var b in _branches)
        {
            hits += ReferenceFusion.Fuse(_segment, b.Dense, b.Sparse, b.Query, Limit, false).Count;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = QueryCount)]
    public int Slot()
    {
        var hits = 0;
        foreach (var b in _branches)
        {
            hits += SlotFusion.Fuse(_segment, b.Dense, b.Sparse, b.Query, Limit, false).Count;
        }

        return hits;
    }

    /// <summary>`--fuse-cpu`: both fusions, alternating, <paramref name="rounds"/> times after a warm-up; checks they
    /// agree and prints the process CPU time per query of each.</summary>
    public static void RunCpu(int rounds)
    {
        var (segment, branches) = Build(55_000);
        var bench = new FuseBenchmarks { _segment = segment, _branches = branches };
        var fused = branches.Select(b => b.Dense.Count + b.Sparse.Count
            - b.Dense.Select(h => h.Entry).Intersect(b.Sparse.Select(h => h.Entry)).Count()).ToArray();
        Console.WriteLine($"{branches.Length} hybrid queries; mean dense {branches.Average(b => b.Dense.Count):F0}, sparse " +
            $"{branches.Average(b => b.Sparse.Count):F0}, fused {fused.Average():F0}; ranked slots " +
            $"{segment.IdRankSnapshot.Count(r => r != 0)} of {segment.Count}");
        if (bench.Reference() != bench.Slot())
        {
            throw new InvalidOperationException("The fusions disagree.");
        }

        for (var i = 0; i < 3; i++)
        {
            bench.Reference();
            bench.Slot();
        }

        var reference = new List<double>();
        var slot = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var cpu = CpuClock.ProcessMilliseconds();
            bench.Reference();
            reference.Add((CpuClock.ProcessMilliseconds() - cpu) * 1000 / branches.Length);
            cpu = CpuClock.ProcessMilliseconds();
            bench.Slot();
            slot.Add((CpuClock.ProcessMilliseconds() - cpu) * 1000 / branches.Length);
        }

        reference.Sort();
        slot.Sort();
        Console.WriteLine($"Fuse CPU per query ({rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}): " +
            $"reference median {reference[rounds / 2]:F2} us (min {reference[0]:F2}), slot median {slot[rounds / 2]:F2} us (min {slot[0]:F2})");
    }

    private static (Segment Segment, Branches[] Branches) Build(int pins)
    {
        const string tenant = "load";
        var catalog = Catalog.Build([], pins, tenant);
        var keywords = new KeywordTable();
        var embedder = new HashingEmbedder(256);
        var segment = new Segment(256, keywords, new TermStats(), new EmbeddedStoreOptions());
        foreach (var pin in catalog)
        {
            var text = PinText.Lexical(pin);
            var dense = new float[256];
            embedder.Embed(text, dense);
            segment.Upsert(new StoredPoint(pin, dense, SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(text)), "bench"));
        }

        var intent = IntentModel.Build(catalog, new IntentOptions().CategoryThreshold, new IntentOptions().MaxClassifierRows);
        var vocabulary = intent.Parser.Vocabulary;
        var spell = new RankingOptions().SpellCorrection;
        var branches = QueryMix.Build(catalog, QueryCount, seed: 7).Select(query =>
        {
            var parsed = intent.Parser.Parse(query);
            var text = parsed.Text.Length > 0 ? parsed.Text : parsed.NormalizedQuery;
            text = spell ? vocabulary.Speller.Correct(text) : text;
            var filter = CompiledFilter.Compile(SearchFilterBuilder.Build(null, parsed, vocabulary).ToFilter(), keywords);
            var dense = new float[256];
            embedder.Embed(text, dense);
            using var selection = segment.Select(filter, null);
            return new Branches(dense, segment.DenseTop(dense, selection, Limit),
                segment.SparseTop(SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(text)), selection, Limit));
        }).ToArray();
        return (segment, branches);
    }

    private sealed record Branches(float[] Query, List<(Segment.Entry Entry, float Score)> Dense, List<(Segment.Entry Entry, float Score)> Sparse);
}

using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.LoadTests;

/// <summary>--recall N: how much of the exact answer the embedded store's approximate dense search keeps on the load
/// catalog. Two in-memory stores hold the same pins: one always exact, one with the default int8 shortlist and clustered
/// index (IVF, built before measuring). For N queries of the mix (embedded as the service embeds them), recall@K =
/// |approx top K ∩ exact top K| / K for the dense branch alone and for the fused hybrid list (also with a category and
/// a price filter): first with the index off (the int8 scan of every pin), then walking it at several probe budgets
/// (<see cref="EmbeddedStoreOptions.IvfProbeFraction"/>, <see cref="EmbeddedStoreOptions.IvfMinProbeShortlists"/>),
/// the scan and the default budget also with the other <see cref="EmbeddedStoreOptions.FloatRescore"/>,
/// then as shipped: the index calibrated on the first searches (<see cref="EmbeddedStoreOptions.IvfTargetRecall"/>,
/// its log line printed), which decides whether the rest walk it or scan.</summary>
public static class RecallCheck
{
    /// <summary>The index threshold measured (the default; the catalogs here are all above it).</summary>
    private const int Enabled = 20_000;

    public static async Task RunAsync(IEmbeddingGenerator<string, Embedding<float>> generator, List<PinData> catalog, List<string> queries, int n, int k)
    {
        var version = generator.ModelVersion();
        var points = new List<StoredPoint>(catalog.Count);
        foreach (var batch in catalog.Chunk(1_000))
        {
            var embeddings = await generator.GenerateAsync(batch.Select(PinText.Of));
            for (var i = 0; i < batch.Length; i++)
            {
                points.Add(new StoredPoint(batch[i], embeddings[i].Vector.ToArray(),
                    SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(batch[i]))), version));
            }
        }

        using var exact = Open(new EmbeddedStoreOptions { DataPath = "", QuantizeThreshold = 0 });
        foreach (var batch in points.Chunk(1_000))
        {
            await exact.UpsertAsync(batch, CancellationToken.None);
        }

        var asked = new List<(float[] Dense, SparseVector Sparse)>();
        foreach (var text in queries.Take(n))
        {
            var tokens = TextTokenizer.Tokenize(text);
            asked.Add(((await generator.GenerateVectorAsync(text)).ToArray(), SparseEncoder.EncodeQuery(tokens)));
        }

        var tenant = catalog[0].Tenant;
        // Filtered variants, as the intent's hard filters make them: the top hit's top-level category, and a price cap.
        var filters = new List<(VectorFilter Category, VectorFilter Price)>();
        foreach (var (dense, _) in asked)
        {
            var top = (await exact.SearchAsync(new HybridQuery(tenant, dense, null, null, 1, version, false), CancellationToken.None))[0].Point.Pin;
            filters.Add((
                new VectorFilter([new KeywordCondition(FilterFields.Category, [top.CategoryPath.FirstOrDefault() ?? ""])], [], []),
                new VectorFilter([new RangeCondition(FilterFields.Price, null, null, null, (top.Price ?? 100) * 1.5)], [], [])));
        }

        // The exact answers once (they do not depend on the approximate store's settings).
        var variantsOf = new List<HybridQuery[]>();
        var truths = new List<IReadOnlyList<SearchHit>[]>();
        var exactTicks = 0L;
        for (var q = 0; q < asked.Count; q++)
        {
            var (dense, sparse) = asked[q];
            var variants = new[]
            {
                new HybridQuery(tenant, dense, null, null, k, version, false),
                new HybridQuery(tenant, dense, sparse, null, k, version, false),
                new HybridQuery(tenant, dense, sparse, filters[q].Category, k, version, false),
                new HybridQuery(tenant, dense, sparse, filters[q].Price, k, version, false),
            };
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var truth = new IReadOnlyList<SearchHit>[variants.Length];
            for (var v = 0; v < variants.Length; v++)
            {
                truth[v] = await exact.SearchAsync(variants[v], CancellationToken.None);
            }

            exactTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            variantsOf.Add(variants);
            truths.Add(truth);
        }

        var defaults = new EmbeddedStoreOptions();

        // The calibration's log line (which probe fraction it chose, or that it keeps the scan).
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)
            .AddFilter((category, _) => category == typeof(EmbeddedVectorStore).FullName));
        Console.WriteLine($"recall@{k} of the approximate dense search vs exact scans, {asked.Count} queries, {catalog.Count:N0} pins (defaults: RescoreFactor {defaults.RescoreFactor}, FloatRescore {defaults.FloatRescore}, ExactScanLimit {defaults.ExactScanLimit}, IvfThreshold {defaults.IvfThreshold}, IvfClusters {defaults.IvfClusters} (0 = 8 sqrt n), IvfProbeFraction {defaults.IvfProbeFraction}, IvfMinProbeShortlists {defaults.IvfMinProbeShortlists}); exact search {Ms(exactTicks, asked.Count):F2} ms; mean (min):");

        // RECOMMENDER_RECALL_IVF_CLUSTERS=a,b,...: also measure other cluster counts (0 = the default).
        var clusterCounts = (Environment.GetEnvironmentVariable("RECOMMENDER_RECALL_IVF_CLUSTERS") ?? defaults.IvfClusters.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        var settings = new List<(double Fraction, int Shortlists)> { (0, 0), (0.02, 4), (0.02, 8), (0.05, 4), (0.05, 8), (0.1, 8), (0.2, 8) };
        if (!settings.Contains((defaults.IvfProbeFraction, defaults.IvfMinProbeShortlists)))
        {
            settings.Add((defaults.IvfProbeFraction, defaults.IvfMinProbeShortlists));
        }

        foreach (var clusters in clusterCounts)
        {
            // Target 0: every search walks the index, unmeasured, at the budget of the row.
            var approxOptions = new EmbeddedStoreOptions { DataPath = "", IvfClusters = clusters, IvfThreshold = Enabled, IvfTargetRecall = 0 };
            using var approx = Open(approxOptions, clusters == clusterCounts[0] ? logs : null);
            foreach (var batch in points.Chunk(1_000))
            {
                await approx.UpsertAsync(batch, CancellationToken.None);
            }

            var built = System.Diagnostics.Stopwatch.StartNew();
            await approx.WaitForIndexesAsync(CancellationToken.None);
            Console.WriteLine($"IvfClusters {clusters} (0 = 8 sqrt n): index built in {built.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine("  IVF probe (fraction, shortlists)   dense            hybrid           hybrid+category  hybrid+price");
            var rows = (clusters == clusterCounts[0] ? settings : settings.Skip(1)).Select(s => (s.Fraction, s.Shortlists, Calibrated: false, FloatRescore: defaults.FloatRescore)).ToList();
            if (clusters == clusterCounts[0])
            {
                // The scan and the default budget again with the other FloatRescore (int8 estimates against exact rescoring).
                rows.Insert(1, (0, 0, false, !defaults.FloatRescore));
                rows.Add((defaults.IvfProbeFraction, defaults.IvfMinProbeShortlists, false, !defaults.FloatRescore));

                // As shipped: the first searches scan and calibrate the index, the rest follow what it measured.
                rows.Add((defaults.IvfProbeFraction, defaults.IvfMinProbeShortlists, true, defaults.FloatRescore));
            }

            foreach (var (fraction, shortlists, calibrated, floatRescore) in rows)
            {
                approxOptions.FloatRescore = floatRescore;
                // Fraction 0: the index off (the int8 scan of every pin, as before the index).
                approxOptions.IvfThreshold = fraction == 0 ? 0 : Enabled;
                (approxOptions.IvfProbeFraction, approxOptions.IvfMinProbeShortlists) = fraction == 0 ? (defaults.IvfProbeFraction, defaults.IvfMinProbeShortlists) : (fraction, shortlists);
                approxOptions.IvfTargetRecall = calibrated ? defaults.IvfTargetRecall : 0;
                var sums = new double[4];
                var approxTicks = 0L;
                var mins = new[] { 1.0, 1.0, 1.0, 1.0 };
                for (var q = 0; q < asked.Count; q++)
                {
                    for (var v = 0; v < variantsOf[q].Length; v++)
                    {
                        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                        var found = await approx.SearchAsync(variantsOf[q][v], CancellationToken.None);
                        approxTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
                        var r = Overlap(truths[q][v], found, k);
                        if (v == 0 && r < 0.5 && Environment.GetEnvironmentVariable("RECOMMENDER_RECALL_DEBUG") is not null)
                        {
                            var t = truths[q][v];
                            Console.WriteLine($"    low recall {r:F3}: '{queries[q]}' exact {t[0].Score:F4}..{t[^1].Score:F4} approx {found[0].Score:F4}..{found[^1].Score:F4} nonzero-int8 {asked[q].Dense.Count(x => MathF.Abs(x) * 127 / asked[q].Dense.Max(MathF.Abs) >= 0.5f)}");
                        }

                        sums[v] += r;
                        mins[v] = Math.Min(mins[v], r);
                    }
                }

                var label = calibrated ? $"calibrated, target {defaults.IvfTargetRecall:F2}"
                    : fraction == 0 ? "off (int8 scan)" : $"{fraction:F2}, {shortlists}" + (fraction == defaults.IvfProbeFraction && shortlists == defaults.IvfMinProbeShortlists ? " (default)" : "");
                label += floatRescore == defaults.FloatRescore ? "" : floatRescore ? ", float rescore" : ", int8 estimates";
                Console.WriteLine($"  {label,-32}   " + string.Join("  ", sums.Select((x, v) => $"{x / asked.Count:F4} ({mins[v]:F3})"))
                    + $"   search ms {Ms(approxTicks, asked.Count):F2}");
            }
        }
    }

    /// <summary>Mean ms per search of the four variants.</summary>
    private static double Ms(long ticks, int queries) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency / 4 / queries;

    private static double Overlap(IReadOnlyList<SearchHit> exact, IReadOnlyList<SearchHit> approx, int k)
    {
        var truth = exact.Select(h => h.Point.Pin.Id).ToHashSet(StringComparer.Ordinal);
        return exact.Count == 0 ? 1 : approx.Count(h => truth.Contains(h.Point.Pin.Id)) / (double)Math.Min(k, exact.Count);
    }

    private static EmbeddedVectorStore Open(EmbeddedStoreOptions options, ILoggerFactory? logs = null) =>
        new(Options.Create(options), Options.Create(new VectorSearchOptions()), new HostingEnvironment(),
            logs?.CreateLogger<EmbeddedVectorStore>() ?? NullLogger<EmbeddedVectorStore>.Instance);
}

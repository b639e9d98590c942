using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.LoadTests;

/// <summary>--recall N: how much of the exact answer the embedded store's int8 shortlist keeps on the load catalog.
/// Two in-memory stores hold the same pins: one always exact, one with the default int8 shortlist. For N queries of
/// the mix (embedded as the service embeds them), recall@K = |approx top K ∩ exact top K| / K for the dense branch
/// alone and for the fused hybrid list, at several shortlist sizes (<see cref="EmbeddedStoreOptions.RescoreFactor"/>).</summary>
public static class RecallCheck
{
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

        var approxOptions = new EmbeddedStoreOptions { DataPath = "" };
        using var exact = Open(new EmbeddedStoreOptions { DataPath = "", QuantizeThreshold = 0 });
        using var approx = Open(approxOptions);
        foreach (var batch in points.Chunk(1_000))
        {
            await exact.UpsertAsync(batch, CancellationToken.None);
            await approx.UpsertAsync(batch, CancellationToken.None);
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

        Console.WriteLine($"recall@{k} of the int8 shortlist vs exact scans, {asked.Count} queries, {catalog.Count:N0} pins (defaults: RescoreFactor {new EmbeddedStoreOptions().RescoreFactor}, ExactScanLimit {new EmbeddedStoreOptions().ExactScanLimit}); mean (min):");
        Console.WriteLine("  RescoreFactor  ExactScanLimit   dense            hybrid           hybrid+category  hybrid+price");
        foreach (var (factor, exactLimit) in new[] { (1, 20_000), (2, 20_000), (4, 20_000), (1, 2_000), (2, 2_000), (4, 2_000) })
        {
            (approxOptions.RescoreFactor, approxOptions.ExactScanLimit) = (factor, exactLimit);
            var sums = new double[4];
            var (exactTicks, approxTicks) = (0L, 0L);
            var mins = new[] { 1.0, 1.0, 1.0, 1.0 };
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
                for (var v = 0; v < variants.Length; v++)
                {
                    var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    var truth = await exact.SearchAsync(variants[v], CancellationToken.None);
                    var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                    var found = await approx.SearchAsync(variants[v], CancellationToken.None);
                    (exactTicks, approxTicks) = (exactTicks + t1 - t0, approxTicks + System.Diagnostics.Stopwatch.GetTimestamp() - t1);
                    var r = Overlap(truth, found, k);
                    sums[v] += r;
                    mins[v] = Math.Min(mins[v], r);
                }
            }

            Console.WriteLine($"  {factor,13}  {exactLimit,14:N0}   " + string.Join("  ", sums.Select((x, v) => $"{x / asked.Count:F4} ({mins[v]:F3})"))
                + $"   search ms exact {Ms(exactTicks, asked.Count):F2}, int8 {Ms(approxTicks, asked.Count):F2}");
        }
    }

    /// <summary>Mean ms per search of the four variants.</summary>
    private static double Ms(long ticks, int queries) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency / 4 / queries;

    private static double Overlap(IReadOnlyList<SearchHit> exact, IReadOnlyList<SearchHit> approx, int k)
    {
        var truth = exact.Select(h => h.Point.Pin.Id).ToHashSet(StringComparer.Ordinal);
        return exact.Count == 0 ? 1 : approx.Count(h => truth.Contains(h.Point.Pin.Id)) / (double)Math.Min(k, exact.Count);
    }

    private static EmbeddedVectorStore Open(EmbeddedStoreOptions options) =>
        new(Options.Create(options), Options.Create(new VectorSearchOptions()), new HostingEnvironment(), NullLogger<EmbeddedVectorStore>.Instance);
}

using System.Diagnostics;
using System.Numerics.Tensors;
using Google.Protobuf;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;

namespace Recommender.LoadTests;

/// <summary>--breakdown N: the Search stages one after another for N queries, each timed (wall, one request at a time),
/// to see where a request's time goes. The vector call goes the way Ranking's goes (in process or over gRPC).</summary>
public static class Breakdown
{
    public static async Task RunAsync(IServiceProvider services, VectorService.VectorServiceClient vector, string tenant, List<string> queries, int n)
    {
        var intents = services.GetRequiredService<IntentService>();
        var embedder = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var features = services.GetRequiredService<FeatureExtractor>();
        var tail = services.GetRequiredService<RankingTail>();
        var model = services.GetRequiredService<RankerRegistry>().Current;
        var version = embedder.ModelVersion();
        var names = new[] { "intent", "embed", "vector(with vectors)", "vector(no vectors)", "candidates", "features", "tail.Rank", "tail.Finish(page)" };
        var totals = new double[names.Length];
        var samples = names.Select(_ => new List<double>(n)).ToArray();
        var allocated = new long[names.Length];
        long bytesWith = 0, bytesWithout = 0, responseBytes = 0;
        for (var i = 0; i < n + 50; i++)
        {
            var measure = i >= 50;
            var query = queries[i % queries.Count];
            var t = new double[names.Length];
            var a = new long[names.Length];
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var s = Stopwatch.GetTimestamp();
            var parsed = await intents.ParseAsync(tenant, query, CancellationToken.None);
            t[0] = Lap(ref s);
            a[0] = AllocLap(ref bytes);
            var text = parsed.Intent.Text.Length > 0 ? parsed.Intent.Text : parsed.Intent.NormalizedQuery;
            var tokens = TextTokenizer.Tokenize(text);
            var q = (await embedder.GenerateVectorAsync(text)).ToArray();
            t[1] = Lap(ref s);
            a[1] = AllocLap(ref bytes);
            var request = new SearchRequest
            {
                Tenant = tenant, Sparse = SparseEncoder.EncodeQuery(tokens).ToProto(),
                Filter = SearchFilterBuilder.Build(null, parsed.Intent, parsed.Vocabulary), Limit = 200, EmbedderVersion = version, WithVectors = true,
            };
            request.Dense.Add(q);
            var found = await vector.SearchAsync(request);
            t[2] = Lap(ref s);
            a[2] = AllocLap(ref bytes);
            request.WithVectors = false;
            var foundLean = await vector.SearchAsync(request);
            t[3] = Lap(ref s);
            a[3] = AllocLap(ref bytes);
            var candidates = found.Results.Select(r =>
            {
                var v = new float[r.Dense.Count];
                r.Dense.CopyTo(v, 0);
                var dense = v.Length == q.Length ? TensorPrimitives.Dot(v, q) : r.DenseScore;
                return new Candidate(r.Pin.ToPinData(r.Pin.Tenant, r.Pin.Version), r.Score, dense, r.SparseScore) { Vector = v };
            }).ToList();
            var copy = found.Results.Select(r => new Candidate(r.Pin.ToPinData(r.Pin.Tenant, r.Pin.Version), r.Score, r.DenseScore, r.SparseScore)).ToList();
            t[4] = Lap(ref s) / 2;
            a[4] = AllocLap(ref bytes) / 2;
            var context = new SearchContext(tenant, tokens, parsed.Intent);
            features.Extract(context, candidates);
            t[5] = Lap(ref s);
            a[5] = AllocLap(ref bytes);
            tail.Rank(context, candidates, model);
            t[6] = Lap(ref s);
            a[6] = AllocLap(ref bytes);
            var response = tail.Finish(context, copy, 0, 20, "fp");
            t[7] = Lap(ref s) - t[5];
            a[7] = AllocLap(ref bytes);
            if (measure)
            {
                for (var k = 0; k < t.Length; k++)
                {
                    totals[k] += t[k];
                    samples[k].Add(t[k]);
                    allocated[k] += a[k];
                }

                bytesWith += found.CalculateSize();
                bytesWithout += foundLean.CalculateSize();
                responseBytes += response.CalculateSize();
            }
        }

        // The median is what a stage costs when the process is not waiting for a core; the mean includes the stalls.
        Console.WriteLine($"stage breakdown of {n} sequential queries (wall ms; tail.Rank includes features):     median     mean   allocated");
        for (var k = 0; k < names.Length; k++)
        {
            samples[k].Sort();
            Console.WriteLine($"  {names[k],-22} {samples[k][samples[k].Count / 2],8:F3} ms {totals[k] / n,8:F3} ms {allocated[k] / n / 1024.0,9:F1} KB");
        }

        Console.WriteLine($"  vector response {bytesWith / n / 1024} KB with vectors, {bytesWithout / n / 1024} KB without; Search response {responseBytes / n / 1024} KB");
    }

    private static long AllocLap(ref long before)
    {
        var now = GC.GetTotalAllocatedBytes(precise: true);
        var bytes = now - before;
        before = now;
        return bytes;
    }

    private static double Lap(ref long start)
    {
        var now = Stopwatch.GetTimestamp();
        var ms = (now - start) * 1000.0 / Stopwatch.Frequency;
        start = now;
        return ms;
    }
}

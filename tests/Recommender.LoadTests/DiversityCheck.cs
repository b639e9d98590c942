using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.LoadTests;

/// <summary>--diversity-check N: N synthesized queries from real pins; the same candidates ranked with each diversity
/// mode; top-10 "type precision" (share of results whose title holds every word of the source pin's product type,
/// e.g. "toner cartridge"), distinct brands in the top 10, and pins in the top 10 that are variants of one product.</summary>
public static class DiversityCheck
{
    public static async Task RunAsync(IServiceProvider services, VectorService.VectorServiceClient vector, string tenant, List<PinData> catalog, int n)
    {
        var intents = services.GetRequiredService<IntentService>();
        var embedder = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var features = services.GetRequiredService<FeatureExtractor>();
        var registry = services.GetRequiredService<RankerRegistry>();
        var real = catalog.Where(p => !p.Id.Contains('~', StringComparison.Ordinal)).ToList();
        var queries = new QuerySynthesizer(real, CatalogVocabulary.Build(real), 11).Mixed(n).ToList();
        var byId = real.ToDictionary(p => p.Id);
        var modes = new (string Name, DiversityOptions Options)[]
        {
            ("None", new DiversityOptions { Mode = DiversityMode.None }),
            ("BrandCap 3/10", new DiversityOptions { Mode = DiversityMode.BrandCap }),
            ("BrandCap 2/10", new DiversityOptions { Mode = DiversityMode.BrandCap, MaxPerBrand = 2 }),
            ("MMR 0.8", new DiversityOptions { Mode = DiversityMode.Mmr, Lambda = 0.8 }),
            ("MMR 0.5", new DiversityOptions { Mode = DiversityMode.Mmr, Lambda = 0.5 }),
        };
        var rules = new BusinessRules(Options.Create(new RankingRulesOptions { Default = new RuleSet { OutOfStock = OutOfStockMode.None } }));
        var cache = new RankedListCache(Options.Create(new PaginationOptions { MaxSnapshots = 0 }), TimeProvider.System);
        var tails = modes.Select(m => new RankingTail(features, registry, rules, Options.Create(m.Options), cache)).ToArray();
        var precision = new double[modes.Length];
        var brands = new double[modes.Length];
        var variants = new double[modes.Length];
        var counted = 0;
        foreach (var sq in queries)
        {
            var type = QuerySynthesizer.TypePhrase(byId[sq.PinId]);
            if (type is null)
            {
                continue;
            }

            var typeWords = TextTokenizer.Tokenize(type).ToArray();
            var parsed = await intents.ParseAsync(tenant, sq.Query, CancellationToken.None);
            var text = parsed.Intent.Text.Length > 0 ? parsed.Intent.Text : parsed.Intent.NormalizedQuery;
            var tokens = TextTokenizer.Tokenize(text);
            var q = (await embedder.GenerateVectorAsync(text)).ToArray();
            var request = new SearchRequest
            {
                Tenant = tenant, Sparse = SparseEncoder.EncodeQuery(tokens).ToProto(),
                Filter = SearchFilterBuilder.Build(null, parsed.Intent, parsed.Vocabulary), Limit = 200,
                EmbedderVersion = embedder.ModelVersion(), WithVectors = true,
            };
            request.Dense.Add(q);
            var found = await vector.SearchAsync(request);
            if (found.Results.Count < 10)
            {
                continue;
            }

            counted++;
            for (var m = 0; m < modes.Length; m++)
            {
                var candidates = found.Results.Select(r =>
                {
                    var v = new float[r.Dense.Count];
                    r.Dense.CopyTo(v, 0);
                    return new Candidate(r.Pin.ToPinData(r.Pin.Tenant, r.Pin.Version), r.Score, r.DenseScore, r.SparseScore) { Vector = v };
                }).ToList();
                var top = tails[m].Rank(new SearchContext(tenant, tokens, parsed.Intent), candidates, registry.Current).Take(10).ToList();
                precision[m] += top.Count(c =>
                {
                    var title = TextTokenizer.Tokenize(c.Pin.Title);
                    return typeWords.All(title.Contains);
                }) / 10.0;
                brands[m] += top.Select(c => c.Pin.Brand).Distinct(StringComparer.OrdinalIgnoreCase).Count();
                variants[m] += 10 - top.Select(c => c.Pin.Id.Split('~')[0]).Distinct(StringComparer.Ordinal).Count();
            }
        }

        Console.WriteLine($"diversity check: {counted} synthesized queries, top 10 of 200 candidates, {catalog.Count:N0} pins");
        Console.WriteLine($"  {"mode",-14} {"type precision@10",18} {"distinct brands",16} {"extra variants of one product",30}");
        for (var m = 0; m < modes.Length; m++)
        {
            Console.WriteLine($"  {modes[m].Name,-14} {precision[m] / counted,18:F3} {brands[m] / counted,16:F2} {variants[m] / counted,30:F2}");
        }
    }
}

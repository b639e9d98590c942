using Microsoft.Extensions.AI;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Intent;

namespace Recommender.LoadTests;

/// <summary>The load catalog: real products (the committed Icecat sample, or --products files) plus deterministic
/// variants of them (another model word, colour and price) until there are as many pins as asked for.</summary>
public static class Catalog
{
    private static readonly string[] Models = ["Pro", "Plus", "Mini", "XL", "Lite", "Ultra", "Slim", "Compact", "Premium", "Max", "Eco", "Neo", "Prime", "Air", "Edge", "Duo", "Classic", "Go"];
    private static readonly string[] Colours = ["black", "white", "silver", "blue", "red", "grey", "green"];

    public static List<PinData> Build(string[] files, int count, string tenant)
    {
        var real = files.Length > 0
            ? files.SelectMany(f => CatalogFileReader.Read(f, tenant)).ToList()
            : CatalogFileReader.Read(Path.Combine(AppContext.BaseDirectory, "SampleData", "icecat-sample.jsonl.gz"), tenant);
        var pins = real.Take(count).Select(p => p with { Tenant = tenant, Version = 1 }).ToList();
        for (var k = 1; pins.Count < count; k++)
        {
            foreach (var p in real)
            {
                if (pins.Count >= count)
                {
                    break;
                }

                var model = Models[(k - 1) % Models.Length];
                var colour = Colours[(k + p.Id.Length) % Colours.Length];
                pins.Add(p with
                {
                    Id = $"{p.Id}~v{k}",
                    Tenant = tenant,
                    Title = $"{p.Title} {model} {colour}",
                    Colour = colour,
                    Price = p.Price is { } price ? Math.Round(price * (0.8 + (0.05 * (k % 9))), 2) : null,
                    InStock = (k + p.Id.Length) % 17 != 0,
                    Version = 1,
                });
            }
        }

        return pins;
    }

    public static async Task UpsertAsync(VectorService.VectorServiceClient vector, IEmbeddingGenerator<string, Embedding<float>> generator, List<PinData> pins)
    {
        var version = generator.ModelVersion();
        foreach (var batch in pins.Chunk(1_000))
        {
            var embeddings = await generator.GenerateAsync(batch.Select(PinText.Of));
            var request = new UpsertRequest();
            for (var i = 0; i < batch.Length; i++)
            {
                var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(batch[i])));
                var point = new VectorPoint { Pin = batch[i].ToProto(), EmbedderVersion = version, Sparse = new Contracts.Vector.V1.SparseVector() };
                point.Dense.Add(embeddings[i].Vector.ToArray());
                point.Sparse.Indices.Add(sparse.Indices.Select(x => (uint)x));
                point.Sparse.Values.Add(sparse.Values);
                request.Points.Add(point);
            }

            await vector.UpsertAsync(request);
        }
    }
}

/// <summary>A shopper-like query mix: half plain product types with or without a brand ("toner cartridge",
/// "brother toner cartridge"), half synthesized queries with constraints ("hp ink under $40 not canon").</summary>
public static class QueryMix
{
    public static List<string> Build(List<PinData> pins, int count, int seed)
    {
        var random = new Random(seed);
        var real = pins.Where(p => !p.Id.Contains('~', StringComparison.Ordinal)).ToList();
        var vocabulary = CatalogVocabulary.Build(real);
        var synthesized = new QuerySynthesizer(real, vocabulary, seed).Mixed(count / 2).Select(q => q.Query);
        var plain = new List<string>();
        while (plain.Count < count / 2)
        {
            var pin = real[random.Next(real.Count)];
            if (QuerySynthesizer.TypePhrase(pin) is { } type)
            {
                plain.Add(random.NextDouble() < 0.3 && pin.Brand.Length > 0 ? $"{pin.Brand.ToLowerInvariant()} {type}" : type);
            }
        }

        return synthesized.Concat(plain).OrderBy(_ => random.Next()).ToList();
    }
}

using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// The constraint query set of the evaluation test (150 queries from Icecat and 150 from Best Buy pins, same seed),
/// each paired with the parser learned from its own catalog.
/// </summary>
public static class ConstraintQueries
{
    public const int PerCatalog = 150;
    public const int Seed = 20261122;

    public static List<(EmbeddedIntentParser Parser, string Query)> Load()
    {
        var root = FindSharedData() ?? throw new InvalidOperationException(
            "../shared/data (icecat_chorus, bestbuy_cellphones) not found; set RECOMMENDER_SHARED_DATA to the shared/data folder.");
        var set = new List<(EmbeddedIntentParser, string)>();
        foreach (var dataset in (string[])["icecat_chorus", "bestbuy_cellphones"])
        {
            var pins = CatalogFileReader.Read(Path.Combine(root, dataset, "products.jsonl.gz"), dataset);
            var model = IntentModel.Build(pins, categoryThreshold: 0.5);
            var queries = new QuerySynthesizer(pins, model.Parser.Vocabulary, Seed).Constraints(PerCatalog);
            set.AddRange(queries.Select(q => (model.Parser, q.Query)));
        }

        return set;
    }

    private static string? FindSharedData()
    {
        var fromEnv = Environment.GetEnvironmentVariable("RECOMMENDER_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return fromEnv;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "icecat_chorus")))
            {
                return candidate;
            }
        }

        return null;
    }
}

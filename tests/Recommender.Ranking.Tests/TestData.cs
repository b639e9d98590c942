using Recommender.Contracts;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>Real catalogs: the Icecat sample shipped in the repo, and the shared data sets when present.</summary>
public static class TestData
{
    private static readonly Lazy<List<PinData>> Sample = new(() =>
        CatalogFileReader.Read(Path.Combine(AppContext.BaseDirectory, "SampleData", "icecat-sample.jsonl.gz"), "default"));

    private static readonly Lazy<string?> SharedData = new(FindSharedData);

    /// <summary>3,000 Icecat products shipped with the embedded host.</summary>
    public static IReadOnlyList<PinData> IcecatSample => Sample.Value;

    /// <summary>A shared data set's products file (e.g. "icecat_chorus"), or null when ../shared/data is absent.</summary>
    public static string? SharedProducts(string dataset)
    {
        var path = SharedData.Value is { } root ? Path.Combine(root, dataset, "products.jsonl.gz") : null;
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>Reads a shared data set, or skips the test with a clear message when it is not on this machine.</summary>
    public static List<PinData> RequireShared(string dataset, string tenant)
    {
        var path = SharedProducts(dataset);
        if (path is null)
        {
            Assert.Skip($"../shared/data/{dataset}/products.jsonl.gz is not on this machine (set RECOMMENDER_SHARED_DATA to the shared/data folder); skipped.");
        }

        return CatalogFileReader.Read(path, tenant);
    }

    private static string? FindSharedData()
    {
        var fromEnv = Environment.GetEnvironmentVariable("RECOMMENDER_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return fromEnv;
        }

        // The repo's clone has shared/ beside it (../shared/data); a worktree may sit one level deeper.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "icecat_chorus")) || Directory.Exists(Path.Combine(candidate, "bestbuy_cellphones")))
            {
                return candidate;
            }
        }

        return null;
    }
}

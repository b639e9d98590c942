using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Model;

/// <summary>One regression tree: internal nodes 0..n-1 (child &lt; 0 = leaf <c>~child</c>), leaf values, and each
/// internal node's expected value (for explanations).</summary>
public sealed record TreeData(
    int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] LeafValues, double[] NodeValues, double Weight);

/// <summary>The tree ensemble as stored: score = bias + sum of weight x leaf value.</summary>
public sealed record TreeEnsembleData(double Bias, IReadOnlyList<TreeData> Trees)
{
    /// <summary>The model after the first <paramref name="trees"/> boosting rounds.</summary>
    public TreeEnsembleData Take(int trees) => this with { Trees = Trees.Take(trees).ToList() };
}

/// <summary>What a ranker artifact holds besides the trees.</summary>
public sealed record RankerManifest
{
    public const string FileName = "manifest.json";
    public const string CurrentFormat = "lambdarank-trees-v1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary><c>lgbm-&lt;first 12 hex of SHA-256(model file)&gt;</c>.</summary>
    public required string Version { get; init; }

    /// <summary>The model file next to the manifest (named by version, so a new version never overwrites the old).</summary>
    public required string ModelFile { get; init; }

    public required string Sha256 { get; init; }

    /// <summary>Feature names in index order (must equal the first <c>FeatureNames.Count</c> of
    /// <see cref="RankingFeature.Names"/>).</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    public IReadOnlyList<string> TrainingFiles { get; init; } = [];

    public int Trees { get; init; }

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Saves and loads ranker artifacts: a folder with <c>manifest.json</c> and <c>trees-&lt;version&gt;.json</c>.
/// Saving writes the trees, then the manifest to a temporary file renamed over <c>manifest.json</c>, so a reader
/// (the service's watcher) sees either the old or the new version, never half of one. Loading verifies the hash,
/// the feature names and every node's indexes, and throws <see cref="InvalidDataException"/> otherwise.
/// </summary>
public static class RankerArtifact
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly JsonSerializerOptions CompactJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static RankerManifest Save(string directory, TreeEnsembleData ensemble, RankerManifest template)
    {
        Directory.CreateDirectory(directory);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(ensemble, CompactJson);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var version = "lgbm-" + hash[..12];
        var modelFile = $"trees-{version}.json";
        WriteAtomically(Path.Combine(directory, modelFile), bytes);
        var manifest = template with
        {
            Version = version,
            ModelFile = modelFile,
            Sha256 = hash,
            Trees = ensemble.Trees.Count,
            Format = RankerManifest.CurrentFormat,
        };
        WriteAtomically(Path.Combine(directory, RankerManifest.FileName), JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
        return manifest;
    }

    public static RankerManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, RankerManifest.FileName);
        try
        {
            return JsonSerializer.Deserialize<RankerManifest>(File.ReadAllBytes(path), Json)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a ranker manifest: {e.Message}", e);
        }
    }

    public static TreeEnsembleRanker Load(string directory)
    {
        var manifest = ReadManifest(directory);
        if (manifest.Format != RankerManifest.CurrentFormat)
        {
            throw new InvalidDataException($"Ranker artifact {directory} has format '{manifest.Format}'; expected '{RankerManifest.CurrentFormat}'.");
        }

        var path = Path.Combine(directory, Path.GetFileName(manifest.ModelFile));
        var bytes = File.ReadAllBytes(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(hash, manifest.Sha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path} does not match its manifest's SHA-256 ({hash} != {manifest.Sha256}).");
        }

        if (manifest.FeatureNames.Count > RankingFeature.Count ||
            !manifest.FeatureNames.SequenceEqual(RankingFeature.Names.Take(manifest.FeatureNames.Count), StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"Ranker artifact {directory} was trained on features [{string.Join(", ", manifest.FeatureNames)}], which are not a prefix of this build's features.");
        }

        TreeEnsembleData ensemble;
        try
        {
            ensemble = JsonSerializer.Deserialize<TreeEnsembleData>(bytes, CompactJson) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a tree ensemble: {e.Message}", e);
        }

        Validate(ensemble, manifest.FeatureNames.Count, path);
        return new TreeEnsembleRanker(manifest.Version, ensemble);
    }

    private static void Validate(TreeEnsembleData ensemble, int features, string path)
    {
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var nodes = tree.Feature.Length;
            var leaves = tree.LeafValues.Length;
            if (tree.Threshold.Length != nodes || tree.Left.Length != nodes || tree.Right.Length != nodes || leaves != nodes + 1)
            {
                throw new InvalidDataException($"{path}: tree {t} has inconsistent array lengths.");
            }

            for (var i = 0; i < nodes; i++)
            {
                if (tree.Feature[i] < 0 || tree.Feature[i] >= features || !ChildOk(tree.Left[i], i, nodes, leaves) || !ChildOk(tree.Right[i], i, nodes, leaves))
                {
                    throw new InvalidDataException($"{path}: tree {t} node {i} points outside the tree.");
                }
            }
        }
    }

    /// <summary>Children must point forward (no cycles) or at a leaf.</summary>
    private static bool ChildOk(int child, int node, int nodes, int leaves) =>
        child >= 0 ? child > node && child < nodes : ~child < leaves;

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}

using System.Numerics.Tensors;

namespace Recommender.Embeddings.Model;

/// <summary>
/// The in-house embedder trained on the catalog: a text's hashed word, bigram and character n-gram features are
/// looked up in a learned table, summed with their weights and L2-normalised. Inference is a few dozen SIMD row
/// additions, so a query embeds in microseconds; unseen words still embed through their character n-grams.
/// Thread-safe.
/// </summary>
public sealed class CatalogEmbedder : ITextEmbedder
{
    [ThreadStatic]
    private static List<int>? t_buckets;

    [ThreadStatic]
    private static List<float>? t_weights;

    private readonly float[] _table;
    private readonly FeatureHasher _hasher;

    public CatalogEmbedder(ModelManifest manifest, float[] table)
    {
        if (table.Length != manifest.Features.Buckets * manifest.Dimensions)
        {
            throw new ArgumentException("The table does not have buckets x dimensions floats.", nameof(table));
        }

        Manifest = manifest;
        _table = table;
        _hasher = new FeatureHasher(manifest.Features);
    }

    public ModelManifest Manifest { get; }

    public string Version => Manifest.Version;

    public int Dimensions => Manifest.Dimensions;

    public void Embed(string text, Span<float> destination) => EmbedTokens(TextTokenizer.Tokenize(text), destination);

    public void EmbedTokens(IReadOnlyList<string> tokens, Span<float> destination)
    {
        if (destination.Length != Dimensions)
        {
            throw new ArgumentException($"Destination must have {Dimensions} floats.", nameof(destination));
        }

        var buckets = t_buckets ??= new List<int>(256);
        var weights = t_weights ??= new List<float>(256);
        buckets.Clear();
        weights.Clear();
        _hasher.Features(tokens, buckets, weights);
        Pool(_table, Dimensions, buckets, weights, destination);
        var norm = TensorPrimitives.Norm(destination);
        if (norm > 0)
        {
            TensorPrimitives.Divide(destination, norm, destination);
        }
    }

    /// <summary>destination = sum of weight x table row (not normalised).</summary>
    internal static void Pool(float[] table, int dims, List<int> buckets, List<float> weights, Span<float> destination)
    {
        destination.Clear();
        for (var i = 0; i < buckets.Count; i++)
        {
            TensorPrimitives.MultiplyAdd(table.AsSpan(buckets[i] * dims, dims), weights[i], destination, destination);
        }
    }
}

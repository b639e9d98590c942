using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Tests;

/// <summary>
/// A small deterministic catalog for the behaviour suite: two tenants, brands, categories, colours, prices (some
/// missing), stock, and real vectors from the project's hashing embedder and sparse encoder.
/// </summary>
public static class TestPins
{
    public const string Acme = "acme";
    public const string Globex = "globex";
    public const int Dimensions = 64;
    public const string EmbedderVersion = "hash-64-v1";

    public static readonly HashingEmbedder Embedder = new(Dimensions);

    private static readonly string[] Brands = ["Acme", "Zenith", "Nordic Home", "Lumen", "Orbit"];
    private static readonly string[] Colours = ["Red", "Blue", "Green", "Black", "White", "Beige"];
    private static readonly (string Top, string Leaf, string Noun)[] Kinds =
    [
        ("Home", "Rugs", "rug"), ("Home", "Lamps", "lamp"), ("Home", "Chairs", "chair"),
        ("Office", "Desks", "desk"), ("Office", "Mice", "mouse"), ("Office", "Keyboards", "keyboard"),
    ];

    private static readonly string[] Adjectives = ["boho", "modern", "wool", "cotton", "wireless", "ergonomic", "vintage", "compact"];

    /// <summary>Pin <paramref name="i"/> of a tenant: every field is a function of (tenant, i).</summary>
    public static StoredPoint Pin(string tenant, int i, long version = 1, string? title = null)
    {
        var kind = Kinds[(i * 7 + tenant.Length) % Kinds.Length];
        var adjective = Adjectives[(i * 3 + 1) % Adjectives.Length];
        var second = Adjectives[(i * 5 + 2) % Adjectives.Length];
        var brand = Brands[(i + tenant.Length) % Brands.Length];
        var colour = Colours[(i * 11) % Colours.Length];
        var pin = new PinData
        {
            Id = $"p{i:D3}",
            Tenant = tenant,
            Title = title ?? $"{adjective} {second} {colour.ToLowerInvariant()} {kind.Noun} {i}",
            Description = $"A {adjective} {kind.Noun} by {brand}.",
            Brand = brand,
            CategoryPath = [kind.Top, kind.Leaf],
            Price = i % 9 == 4 ? null : Math.Round(5 + ((i * 37) % 200) + (i % 3 * 0.5), 2),
            Colour = colour,
            InStock = i % 4 != 3,
            Attributes = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Version = version,
        };
        return Embed(pin);
    }

    public static StoredPoint Embed(PinData pin, string embedderVersion = EmbedderVersion)
    {
        var dense = new float[Dimensions];
        Embedder.Embed(PinText.Of(pin), dense);
        var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin)));
        return new StoredPoint(pin, dense, sparse, embedderVersion);
    }

    public static IReadOnlyList<StoredPoint> Catalog() =>
        [.. Enumerable.Range(0, 60).Select(i => Pin(Acme, i)), .. Enumerable.Range(0, 25).Select(i => Pin(Globex, i))];

    public static float[] DenseQuery(string text)
    {
        var dense = new float[Dimensions];
        Embedder.Embed(text, dense);
        return dense;
    }

    public static SparseVector SparseQuery(string text) => SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(text));

    public static HybridQuery Query(string text, VectorFilter? filter = null, int limit = 10, string tenant = Acme, bool dense = true, bool sparse = true) =>
        new(tenant, dense ? DenseQuery(text) : null, sparse ? SparseQuery(text) : null, filter, limit, EmbedderVersion);

    public static VectorFilter Must(params FilterCondition[] conditions) => new(conditions, [], []);

    public static KeywordCondition Keyword(string field, params string[] values) => new(field, values);
}

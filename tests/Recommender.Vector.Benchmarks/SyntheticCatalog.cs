using System.Globalization;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Benchmarks;

/// <summary>
/// A reproducible synthetic catalog shaped like a store's: 1,000 categories in a 3-level tree, 400 brands, 16
/// colours, prices over three orders of magnitude, 80% in stock; titles of 4-7 words drawn from a 2,000-word
/// vocabulary with a Zipf-like skew, embedded with the project's hashing embedder (dense) and sparse encoder.
/// Shared strings and arrays keep a million pins within a few GiB.
/// </summary>
public sealed class SyntheticCatalog(int dimensions, int seed = 42)
{
    public const string Tenant = "bench";
    public const string EmbedderVersion = "bench-hash";

    private static readonly string[] Colours =
        ["black", "white", "red", "blue", "green", "grey", "beige", "brown", "navy", "pink", "orange", "yellow", "purple", "silver", "gold", "teal"];

    private readonly HashingEmbedder _embedder = new(dimensions);
    private readonly string[] _words = Enumerable.Range(0, 2_000).Select(Word).ToArray();
    private readonly string[] _brands = Enumerable.Range(0, 400).Select(i => "Brand" + Word(i * 7 + 3)).ToArray();
    private readonly string[][] _categories = Enumerable.Range(0, 1_000)
        .Select(i => new[] { $"Top{i / 100}", $"Mid{i / 10}", $"Leaf{i}" }).ToArray();
    private readonly IReadOnlyDictionary<string, string> _noAttributes = new Dictionary<string, string>();

    public int Dimensions => dimensions;

    public static string TopCategory(int i) => $"Top{i}";

    public static string Colour(int i) => Colours[i % Colours.Length];

    public StoredPoint Pin(int i)
    {
        var random = new Random(unchecked((seed * 1_000_003) + i));
        var category = _categories[Skewed(random, _categories.Length)];
        var words = new string[4 + random.Next(4)];
        for (var w = 0; w < words.Length; w++)
        {
            words[w] = _words[Skewed(random, _words.Length)];
        }

        var pin = new PinData
        {
            Id = i.ToString("D8", CultureInfo.InvariantCulture),
            Tenant = Tenant,
            Title = string.Join(' ', words),
            Brand = _brands[Skewed(random, _brands.Length)],
            CategoryPath = category,
            Colour = Colours[random.Next(Colours.Length)],
            Price = random.Next(10) == 0 ? null : Math.Round(Math.Exp(random.NextDouble() * 7), 2),
            InStock = random.Next(5) != 0,
            Attributes = _noAttributes,
            Version = 1,
        };
        return new StoredPoint(pin, Dense(PinText.Of(pin)), SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin))), EmbedderVersion);
    }

    /// <summary>A query: 2-3 words of some pin's title, sometimes with its brand or leaf category.</summary>
    public (string Text, float[] Dense, SparseVector Sparse) Query(int i, int catalogSize)
    {
        var random = new Random(unchecked((seed * 7_919) - 1 - i));
        var pin = Pin(random.Next(catalogSize)).Pin;
        var words = pin.Title.Split(' ').OrderBy(_ => random.Next()).Take(2 + random.Next(2)).ToList();
        if (random.Next(3) == 0)
        {
            words.Add(pin.CategoryPath[^1]);
        }

        var text = string.Join(' ', words);
        return (text, Dense(text), SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(text)));
    }

    public float[] Dense(string text)
    {
        var dense = new float[dimensions];
        _embedder.Embed(text, dense);
        return dense;
    }

    private static int Skewed(Random random, int n) => (int)Math.Min(n - 1, Math.Floor(n * Math.Pow(random.NextDouble(), 2.2)));

    private static string Word(int i)
    {
        const string consonants = "bcdfghjklmnprstvz";
        const string vowels = "aeiou";
        var chars = new List<char>();
        var x = i + 17;
        for (var s = 0; s < 3; s++)
        {
            chars.Add(consonants[x % consonants.Length]);
            x /= consonants.Length;
            chars.Add(vowels[(x + s) % vowels.Length]);
            x = (x * 31) + s + 7;
        }

        return new string([.. chars]) + (i % 7).ToString(CultureInfo.InvariantCulture);
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

/// <summary>
/// The feature vectors of real Icecat candidate sets (parsed intents with brands, colours, prices, categories and
/// numbers; sets of 200 and of 9 candidates, in retrieval order and reversed) are, to the bit, what the extractor
/// computed before its per-candidate work was made cheaper (recorded with the code of commit c08e968: on a machine with
/// 512-bit SIMD, and in session 18 with that code (ca2b404) on one with 256-bit AVX2; see <see cref="Recorded"/>). Only
/// the first <see cref="RecordedFeatures"/> features are hashed, so features added later do not change the record.
/// </summary>
public sealed class FeatureExtractorGoldenTests
{
    /// <summary>The features that existed when the hashes were recorded.</summary>
    private const int RecordedFeatures = 31;

    private static readonly Lazy<Catalog> Sample = new(() => new Catalog(TestData.IcecatSample.ToList()));

    /// <summary>The sample with category paths (the sample has none): leaf = the brand, upper- or lower-cased by the
    /// pin's index, a few without a leaf, so leaves sort in ordinal order with case mattering.</summary>
    private static readonly Lazy<Catalog> Categorised = new(() => new Catalog(TestData.IcecatSample.Select((p, i) => p with
    {
        CategoryPath = i % 11 == 0 ? [] : ["Products", i % 3 == 0 ? p.Brand.ToUpperInvariant() : p.Brand],
    }).ToList()));

    [Theory]
    [InlineData("toner cartridge", "0C05E82B82B22814", "CB79CDF7ADD6275C")]
    [InlineData("usb cable under $20", "AD6862A8C29A931B", "A3C8A875792CC79A")]
    [InlineData("wireless mouse", "7A84BBF6F4155B3D", "EA054B53378A0CED")]
    [InlineData("cheap laptop", "9F5108937351DC6D", "C9D6DBD3625FEBCE")]
    [InlineData("black ink not canon", "3124D4BEC47D913E", "94D544959944AC68")]
    [InlineData("hp toner 85a", "ABC19033A544D58C", "A1842F59D562584F")]
    [InlineData("red usb stick 32gb", "BA05D05D31E0A01D", "B32BC78E356651E1")]
    [InlineData("samsung monitor 24 inch", "A2AD8BF4B0E1BF2E", "50D897D077B3ECE9")]
    [InlineData("logitech", "8B899CECBB33E264", "24F1EEACE010744C")]
    [InlineData("notebook bag between $20 and $50", "B8C998246D928642", "0A95282027705C15")]
    [InlineData("cheapest leather laptop case", "1DBCCAA183269625", "E7E19668455A8F30")]
    public void Extract_IcecatCandidateSets_SameFeatureBitsAsRecorded(string query, string at512, string at256) =>
        Assert.Equal(Recorded(at512, at256), FeatureHash(Sample.Value, query));

    /// <summary>Candidates that come through <see cref="RetrievedPins"/> keep their pin's terms on it: the same bits,
    /// the later sets of a query reusing the terms the first set kept, and a second extractor (nothing cached by id)
    /// reusing them again.</summary>
    [Theory]
    [InlineData("toner cartridge", "0C05E82B82B22814", "CB79CDF7ADD6275C")]
    [InlineData("black ink not canon", "3124D4BEC47D913E", "94D544959944AC68")]
    [InlineData("hp toner 85a", "ABC19033A544D58C", "A1842F59D562584F")]
    [InlineData("notebook bag between $20 and $50", "B8C998246D928642", "0A95282027705C15")]
    public void Extract_CandidatesCarryingRetrievedPins_SameFeatureBitsAsRecorded(string query, string at512, string at256)
    {
        var expected = Recorded(at512, at256);
        var retrieved = new Dictionary<PinData, RetrievedPin>(ReferenceEqualityComparer.Instance);

        var first = FeatureHash(Sample.Value, query, retrieved);
        var again = FeatureHash(Sample.Value, query, retrieved);

        Assert.Equal((expected, expected), (first, again));
    }

    [Theory]
    [InlineData("toner cartridge", "DD1FEC58E432107F", "6F22DECD3104AE17")]
    [InlineData("cheap laptop", "CC706431F5FB3B5C", "8F5D22628C7E23B3")]
    [InlineData("samsung monitor 24 inch", "CB66F22D9CDA4AD0", "4B6EE357BB771CE5")]
    [InlineData("notebook bag between $20 and $50", "9797D84B9BA77C5B", "C1C5A538AAA8FC39")]
    public void Extract_CategorisedCandidateSets_SameFeatureBitsAsRecorded(string query, string at512, string at256) =>
        Assert.Equal(Recorded(at512, at256), FeatureHash(Categorised.Value, query));

    /// <summary>The record for this machine's SIMD width. The candidates' dense scores come from the hashing embedder and
    /// a <c>TensorPrimitives</c> dot product, which sum in vector lanes as wide as the machine has: the last bits of the
    /// inputs, and so of the features, differ between 512-bit and 256-bit machines (the extractor is the same).</summary>
    private static string Recorded(string at512, string at256)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return at512;
        }

        if (!Vector256.IsHardwareAccelerated)
        {
            Assert.Skip("No feature record for 128-bit SIMD (e.g. arm64): the inputs' last bits depend on the vector width; records exist for 512 and 256 bits.");
        }

        return at256;
    }

    private static string FeatureHash(Catalog catalog, string query, Dictionary<PinData, RetrievedPin>? retrieved = null)
    {
        var intent = catalog.Parser.Parse(query);
        var text = intent.Text.Length > 0 ? intent.Text : intent.NormalizedQuery;
        var context = new SearchContext("default", TextTokenizer.Tokenize(text), intent, "user-1");
        var nearest = catalog.Nearest(text, 200);
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        List<List<Candidate>> sets =
        [
            Fresh(nearest, retrieved),
            Fresh(nearest.AsEnumerable().Reverse(), retrieved),
            Fresh(nearest.Where((_, i) => i % 23 == 0), retrieved),
        ];
        foreach (var set in sets)
        {
            extractor.Extract(context, set);
            foreach (var c in set)
            {
                for (var f = 0; f < RecordedFeatures; f++)
                {
                    hash.AppendData(BitConverter.GetBytes(BitConverter.DoubleToInt64Bits(c.Features[f])));
                }
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset())[..16];
    }

    [Fact]
    public void Record_CoversPriceTiesWithinALeafCategory()
    {
        // Ties (same leaf category, same price) are where the price percentile depends on the sort's exact order.
        string[] queries = ["toner cartridge", "usb cable", "wireless mouse", "laptop", "black ink", "hp toner 85a", "red usb stick 32gb", "samsung monitor 24 inch", "logitech", "notebook bag", "leather laptop case"];

        var ties = queries.Sum(q => Sample.Value.Nearest(q, 200).Where(c => c.Pin.Price is not null)
            .GroupBy(c => (c.Pin.CategoryPath.Count > 0 ? c.Pin.CategoryPath[^1] : "", c.Pin.Price)).Count(g => g.Count() > 1));

        Assert.True(ties > 0, "the recorded sets should hold same-leaf, same-price candidates");
    }

    private static List<Candidate> Fresh(IEnumerable<Candidate> candidates, Dictionary<PinData, RetrievedPin>? retrieved = null) =>
        candidates.Select(c => new Candidate(c.Pin, c.Fused, c.Dense, c.Sparse)
        {
            Retrieved = retrieved is null ? null : CollectionsMarshal.GetValueRefOrAddDefault(retrieved, c.Pin, out _) ??= new RetrievedPin(c.Pin),
        }).ToList();

    private sealed class Catalog(List<PinData> pins)
    {
        private readonly NearestPins _nearest = new(pins);

        public EmbeddedIntentParser Parser { get; } = new(CatalogVocabulary.Build(pins), null);

        /// <summary>The nearest pins by the hashing embedder, with retrieval-like fused and sparse scores.</summary>
        public List<Candidate> Nearest(string text, int count) => _nearest.Nearest(text, count).Select(x => x.Candidate).ToList();
    }
}

using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using Recommender.Embeddings;
using Recommender.Embeddings.Evaluation;
using Recommender.Embeddings.Model;
using Recommender.Embeddings.Training;

namespace Recommender.Ingestion.Tests;

public class EmbedderTests
{
    private static readonly string[] Kinds = ["sofa", "lamp", "rug", "kettle", "drill", "toner", "cable", "mouse"];

    /// <summary>A small catalog where each kind's description uses a synonym the title never does.</summary>
    private static List<CatalogProduct> Catalog()
    {
        var synonyms = new Dictionary<string, string>
        {
            ["sofa"] = "couch settee", ["lamp"] = "light lantern", ["rug"] = "carpet mat", ["kettle"] = "boiler teapot",
            ["drill"] = "driver borer", ["toner"] = "powder laser", ["cable"] = "cord wire", ["mouse"] = "pointer trackball",
        };
        var products = new List<CatalogProduct>();
        for (var i = 0; i < 400; i++)
        {
            var kind = Kinds[i % Kinds.Length];
            products.Add(new CatalogProduct($"p{i}", $"Brand{i % 13} {kind} model {i}", $"A {synonyms[kind]} for the home",
                $"Brand{i % 13}", [kind], []));
        }

        return products;
    }

    private static TrainerOptions SmallModel(long seed = 7) => new()
    {
        Dimensions = 32,
        Features = new FeatureSpec { Buckets = 1 << 12 },
        Epochs = 4,
        BatchSize = 32,
        LearningRate = 0.05f,
        Seed = seed,
    };

    private static float[] Train(TrainerOptions options, out TrainingStats stats, List<EpochReport>? reports = null) =>
        new EmbedderTrainer(options).Train(new PairSampler(Catalog(), [], new PairOptions()), r => reports?.Add(r), TestContext.Current.CancellationToken, out stats);

    [Fact]
    public void Train_SameSeed_GivesIdenticalWeights()
    {
        var a = Train(SmallModel(7), out _);
        var b = Train(SmallModel(7), out _);
        var c = Train(SmallModel(8), out _);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Train_CatalogPairs_LowersLossAndLearnsSynonymsFromDescriptions()
    {
        var reports = new List<EpochReport>();
        var options = SmallModel();
        var table = Train(options, out _, reports);
        var trained = new CatalogEmbedder(Manifest(options), table);
        var untrained = new CatalogEmbedder(Manifest(options), Train(options with { Epochs = 0 }, out _));

        Assert.True(reports[^1].Loss < reports[0].Loss * 0.8, $"loss {reports[0].Loss:F3} -> {reports[^1].Loss:F3}");
        // A synonym that never appears in any title finds titles of its kind.
        foreach (var (query, kind) in new[] { ("couch", "sofa"), ("carpet", "rug"), ("teapot", "kettle"), ("cord", "cable") })
        {
            var nearest = Kinds.MaxBy(k => Cos(trained, query, $"Brand5 {k} model 12"));
            Assert.Equal(kind, nearest);
        }

        var (after, before) = (Cos(trained, "couch", "sofa"), Cos(untrained, "couch", "sofa"));
        Assert.True(after > before + 0.2f, $"couch~sofa {before:F3} -> {after:F3}");
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsWithinQuantisationAndVersionTracksWeights()
    {
        var options = SmallModel();
        var table = Train(options, out var stats);
        var dir = Directory.CreateTempSubdirectory().FullName;
        var other = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var manifest = ModelArtifact.Save(dir, table, options.Dimensions, options.Features, Summary(options, stats));
            var loaded = ModelArtifact.Load(dir);
            var original = new CatalogEmbedder(manifest, table);
            var otherManifest = ModelArtifact.Save(other, Train(SmallModel(99), out _), options.Dimensions, options.Features, Summary(options, stats));

            Assert.Equal(manifest.Version, loaded.Version);
            Assert.StartsWith("cat-32d-", manifest.Version, StringComparison.Ordinal);
            Assert.NotEqual(manifest.Version, otherManifest.Version);
            Assert.True(Cos(original, loaded, "Brand2 lamp model 10") > 0.99f);

            var weights = Path.Combine(dir, manifest.WeightsFile);
            var bytes = File.ReadAllBytes(weights);
            bytes[^1] ^= 0x55;
            File.WriteAllBytes(weights, bytes);
            var ex = Assert.Throws<InvalidDataException>(() => ModelArtifact.Load(dir));
            Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
            Directory.Delete(other, true);
        }
    }

    [Fact]
    public void Load_MissingArtifact_FallsBackToHashingEmbedder()
    {
        var embedder = LocalEmbedderLoader.Load(
            new EmbeddingOptions { ModelPath = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid()), Dimensions = 64 },
            NullLogger.Instance);

        Assert.IsType<HashingEmbedder>(embedder);
        Assert.Equal(64, embedder.Dimensions);
    }

    [Fact]
    public void Load_DefaultArtifact_IsTheShippedTrainedModel()
    {
        var embedder = LocalEmbedderLoader.Load(new EmbeddingOptions(), NullLogger.Instance);

        var model = Assert.IsType<CatalogEmbedder>(embedder);
        Assert.StartsWith("cat-", model.Version, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(AppContext.BaseDirectory, "models/embedder/weights.bin")).Length < 8 * 1024 * 1024);
        Assert.Equal(0, model.Manifest.Training.JudgmentPairs);
        Assert.All(model.Manifest.Training.Sources, s => Assert.Contains("icecat", s.Name, StringComparison.OrdinalIgnoreCase));
        Assert.True(Cos(model, "black toner cartridge", "HP 305A Black Original LaserJet Toner Cartridge")
            > Cos(model, "black toner cartridge", "StarTech.com 2m USB-C cable") + 0.2f);
    }

    [Theory]
    [InlineData("painting", "paint")]
    [InlineData("painted", "paint")]
    [InlineData("galvanized", "galvan")]
    [InlineData("relational", "relat")]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("hopping", "hop")]
    [InlineData("3.5", "3.5")]
    public void Stem_KnownWords_FollowPorter(string word, string stem) => Assert.Equal(stem, PorterStemmer.Stem(word));

    [Fact]
    public void TermId_Inflections_ShareOneSparseTerm()
    {
        Assert.Equal(SparseEncoder.TermId("painted"), SparseEncoder.TermId("painting"));
        Assert.NotEqual(SparseEncoder.TermId("paint"), SparseEncoder.TermId("print"));
    }

    [Fact]
    public void Metrics_KnownRanking_GiveExpectedNdcgAndRecall()
    {
        var labels = new Dictionary<string, float> { ["a"] = 3, ["b"] = 2, ["c"] = 1 };

        Assert.Equal(1.0, RetrievalMetrics.NdcgAt(10, ["a", "b", "x"], labels), 6);
        var swapped = (1 / Math.Log2(2) + 2 / Math.Log2(3)) / (2 / Math.Log2(2) + 1 / Math.Log2(3));
        Assert.Equal(swapped, RetrievalMetrics.NdcgAt(10, ["b", "a"], labels), 6);
        Assert.Equal(0.5, RetrievalMetrics.RecallAt(100, ["x", "b", "c"], labels), 6);
    }

    private static float Cos(ITextEmbedder embedder, string a, string b) => Cos(embedder, embedder, a, b);

    private static float Cos(ITextEmbedder first, ITextEmbedder second, string text) => Cos(first, second, text, text);

    private static float Cos(ITextEmbedder first, ITextEmbedder second, string a, string b)
    {
        var x = new float[first.Dimensions];
        var y = new float[second.Dimensions];
        first.Embed(a, x);
        second.Embed(b, y);
        return TensorPrimitives.Dot(x, y);
    }

    private static ModelManifest Manifest(TrainerOptions options) => new()
    {
        Version = "test",
        Dimensions = options.Dimensions,
        Features = options.Features,
        WeightsSha256 = "",
        Training = Summary(options, new TrainingStats(0, 0, 0)),
    };

    private static TrainingSummary Summary(TrainerOptions options, TrainingStats stats) => new()
    {
        Seed = options.Seed,
        Epochs = options.Epochs,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        Temperature = options.Temperature,
        PairsSeen = stats.PairsSeen,
    };
}

using Recommender.Embeddings;

namespace Recommender.UnitTests;

public class TokenizerTests
{
    [Fact]
    public void Tokenize_MixedText_LowercasesDropsStopWordsAndFoldsPlurals()
    {
        var tokens = TextTokenizer.Tokenize("The HP Toner Cartridges for LaserJet 3.5 in.");

        Assert.Equal(["hp", "toner", "cartridge", "laserjet", "3.5"], tokens);
    }

    [Fact]
    public void Tokenize_AccentsAndTrademarks_AreFolded()
    {
        Assert.Equal(["intel", "core", "i7"], TextTokenizer.Tokenize("Intel® Core™ i7"));
        Assert.Equal(["cafe"], TextTokenizer.Tokenize("Café"));
    }

    [Fact]
    public void Embed_SameText_IsDeterministicAndNormalised()
    {
        var embedder = new HashingEmbedder(128);
        var a = new float[128];
        var b = new float[128];

        embedder.Embed("wireless optical mouse", a);
        embedder.Embed("wireless optical mouse", b);

        Assert.Equal(a, b);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(a), 3);
    }

    [Fact]
    public void Embed_RelatedTexts_AreCloserThanUnrelated()
    {
        var embedder = new HashingEmbedder(256);
        float Cos(string x, string y)
        {
            var a = new float[256];
            var b = new float[256];
            embedder.Embed(x, a);
            embedder.Embed(y, b);
            return System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
        }

        Assert.True(Cos("black toner cartridge", "toner cartridges black hp") > Cos("black toner cartridge", "usb network cable") + 0.2f);
    }

    [Fact]
    public void EncodeDocument_RepeatedTerm_WeighsMoreButSaturates()
    {
        var once = SparseEncoder.EncodeDocument(["cable"]);
        var thrice = SparseEncoder.EncodeDocument(["cable", "cable", "cable"]);

        Assert.Single(thrice.Indices);
        Assert.True(thrice.Values[0] > once.Values[0]);
        Assert.True(thrice.Values[0] < 3 * once.Values[0]);
    }
}

using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

public sealed class CatalogVocabularyTests
{
    private static readonly CatalogVocabulary Vocabulary = CatalogVocabulary.Build(TestCatalog.Pins());

    [Theory]
    [InlineData("startech", "StarTech.com")]
    [InlineData("StarTech.com", "StarTech.com")]
    [InlineData("tripplite", "Tripp Lite")]
    [InlineData("Tripp-Lite", "Tripp Lite")]
    [InlineData("at&t", "AT&T")]
    [InlineData("INSIGNIA", "Insignia")]
    [InlineData("otterbox", "OtterBox")]
    public void TryResolveBrand_AliasesAndSpellings_MapToTheCatalogBrand(string text, string brand)
    {
        Assert.True(Vocabulary.TryResolveBrand(text, out var canonical));
        Assert.Equal(brand, canonical);
    }

    [Fact]
    public void TryResolveBrand_UnknownOrCommonWord_IsNotABrand()
    {
        Assert.False(Vocabulary.TryResolveBrand("bluetooth", out _));
        Assert.False(Vocabulary.TryResolveBrand("case", out _));
    }

    [Fact]
    public void BrandSpellings_TrademarkAndCaseVariants_AreAllKept()
    {
        Assert.Equal(["Insignia", "Insignia™"], Vocabulary.BrandSpellings("Insignia"));
        Assert.Equal(["OtterBox", "Otterbox"], Vocabulary.BrandSpellings("OtterBox"));
        Assert.Equal(11, Vocabulary.BrandCount);
    }

    [Fact]
    public void Build_ColoursAndMaterials_ComeFromPinsAndAttributes()
    {
        Assert.True(Vocabulary.TryResolveColour("silver", out var silver)); // from "Black,Silver"
        Assert.Equal("silver", silver);
        Assert.True(Vocabulary.TryResolveMaterial("pvc", out var pvc)); // "Polyvinyl chloride (PVC)"
        Assert.Equal("polyvinyl chloride", pvc);
        Assert.True(Vocabulary.TryResolveMaterial("leather", out _));
    }

    [Fact]
    public void Build_CategoryPaths_GiveNamesAndAncestors()
    {
        Assert.Contains("Toner", Vocabulary.CategoryNames);
        Assert.True(Vocabulary.TryResolveCategory("printers", out var printers)); // "Printers & Supplies" before the "&"
        Assert.Equal("Printers & Supplies", printers);
        Assert.True(Vocabulary.IsAncestor("Printers & Supplies", "Toner"));
        Assert.False(Vocabulary.IsAncestor("Toner", "Printers & Supplies"));
    }

    [Fact]
    public void Empty_KnowsCommonColoursButNoBrands()
    {
        Assert.Equal(0, CatalogVocabulary.Empty.BrandCount);
        Assert.True(CatalogVocabulary.Empty.TryResolveColour("navy", out _));
    }
}

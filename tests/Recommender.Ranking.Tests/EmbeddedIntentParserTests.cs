using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>The grammar and vocabulary slots of the embedded parser, query by query.</summary>
public sealed class EmbeddedIntentParserTests
{
    private static readonly EmbeddedIntentParser Parser = new(CatalogVocabulary.Build(TestCatalog.Pins()), classifier: null);

    [Theory]
    [InlineData("hp toner under $50", null, 50.0)]
    [InlineData("toner less than 80 usd", null, 80.0)]
    [InlineData("toner below 30", null, 30.0)]
    [InlineData("toner $1,200 or less", null, 1200.0)]
    [InlineData("toner no more than 25 dollars", null, 25.0)]
    [InlineData("toner up to $49.99", null, 49.99)]
    [InlineData("ups over $100", 100.0, null)]
    [InlineData("ups $100 and up", 100.0, null)]
    [InlineData("ups at least 150 bucks", 150.0, null)]
    [InlineData("mouse between 20 and 40", 20.0, 40.0)]
    [InlineData("mouse between $40 and $20", 20.0, 40.0)]
    [InlineData("mouse 20-40 dollars", 20.0, 40.0)]
    [InlineData("mouse $20-$40", 20.0, 40.0)]
    [InlineData("mouse from $20 to $40", 20.0, 40.0)]
    [InlineData("ups under 2k", null, 2000.0)]
    [InlineData("cable under $9", null, 9.0)]
    [InlineData("cable $0-$9", 0.0, 9.0)]
    public void Parse_PriceBounds_AreRecovered(string query, double? min, double? max)
    {
        var intent = Parser.Parse(query);

        Assert.Equal(min, intent.PriceMin);
        Assert.Equal(max, intent.PriceMax);
        Assert.Equal("USD", intent.Currency);
    }

    [Theory]
    [InlineData("50 in tv", "50 in")]
    [InlineData("under 50 in tv", "50 in")]
    [InlineData("36 in. white vanity with top", "36 in")]
    [InlineData("2 tb hard drive", "2 tb")]
    [InlineData("2tb hard drive", "2 tb")]
    [InlineData("1/2 in. cable", "1/2 in")]
    [InlineData("24 x 36 inch poster", "24x36 in")]
    [InlineData("65\" tv", "65 in")]
    [InlineData("9 ft cable", "9 ft")]
    public void Parse_NumberWithUnit_IsASizeNotAPrice(string query, string size)
    {
        var intent = Parser.Parse(query);

        Assert.Equal(size, intent.Size);
        Assert.Null(intent.PriceMax);
        Assert.Null(intent.PriceMin);
    }

    [Fact]
    public void Parse_HpTonerUnder50_BrandPriceAndSpans()
    {
        var intent = Parser.Parse("HP Toner under $50");

        Assert.Equal("hp toner under $50", intent.NormalizedQuery);
        Assert.Equal(["HP"], intent.Brands);
        Assert.False(intent.BrandsRequired);
        Assert.Equal(50, intent.PriceMax);
        Assert.Equal("hp toner", intent.Text);
        Assert.Equal("Toner", intent.Category);
        var price = Assert.Single(intent.Spans, s => s.Slot == IntentSlots.PriceMax);
        Assert.Equal("under $50", intent.NormalizedQuery.Substring(price.Start, price.Length));
        var brand = Assert.Single(intent.Spans, s => s.Slot == IntentSlots.Brand);
        Assert.Equal("hp", intent.NormalizedQuery.Substring(brand.Start, brand.Length));
    }

    [Fact]
    public void Parse_NotKnownBrand_IsAnExcludedBrandNotANegatedTerm()
    {
        var intent = Parser.Parse("wireless mouse not logitech");

        Assert.Equal(["Logitech"], intent.ExcludedBrands);
        Assert.Empty(intent.NegatedTerms);
        Assert.Empty(intent.Brands);
        Assert.Equal("wireless mouse", intent.Text);
    }

    [Fact]
    public void Parse_WithoutUnknownWord_IsANegatedTerm()
    {
        var intent = Parser.Parse("keyboard without bluetooth");

        Assert.Equal(["bluetooth"], intent.NegatedTerms);
        Assert.Empty(intent.ExcludedBrands);
        Assert.Equal("keyboard", intent.Text);
    }

    [Theory]
    [InlineData("ups not tripp lite", "Tripp Lite")]
    [InlineData("ups no tripplite", "Tripp Lite")]
    [InlineData("cable -startech", "StarTech.com")]
    [InlineData("cable not startech.com", "StarTech.com")]
    [InlineData("cable excluding startech com", "StarTech.com")]
    [InlineData("sim card except at&t", "AT&T")]
    [InlineData("mouse not insignia", "Insignia")]
    [InlineData("case not by otterbox", "OtterBox")]
    public void Parse_MultiWordAndAliasedBrands_AreExcluded(string query, string brand)
    {
        var intent = Parser.Parse(query);

        Assert.Equal([brand], intent.ExcludedBrands);
        Assert.Empty(intent.NegatedTerms);
    }

    [Fact]
    public void Parse_NegationScopeWithOr_ExcludesEveryBrand()
    {
        var intent = Parser.Parse("mouse not logitech or microsoft under $30");

        Assert.Equal(["Logitech", "Microsoft"], intent.ExcludedBrands);
        Assert.Equal(30, intent.PriceMax);
        Assert.Equal("mouse", intent.Text);
    }

    [Fact]
    public void Parse_NegatedColour_IsANegatedTermAndNotTheColour()
    {
        var intent = Parser.Parse("toner not black");

        Assert.Equal(["black"], intent.NegatedTerms);
        Assert.Null(intent.Colour);
    }

    [Theory]
    [InlineData("only hp toner")]
    [InlineData("hp only toner")]
    [InlineData("brand:hp toner")]
    public void Parse_ExplicitBrand_IsRequired(string query)
    {
        var intent = Parser.Parse(query);

        Assert.Equal(["HP"], intent.Brands);
        Assert.True(intent.BrandsRequired);
    }

    [Theory]
    [InlineData("cheap usb cable", IntentSort.Relevance, true)]
    [InlineData("usb cable $$", IntentSort.Relevance, true)]
    [InlineData("budget mouse", IntentSort.Relevance, true)]
    [InlineData("cheapest toner", IntentSort.Cheapest, true)]
    [InlineData("best rated mouse", IntentSort.BestRated, false)]
    [InlineData("top-rated mouse", IntentSort.BestRated, false)]
    [InlineData("newest canon toner", IntentSort.Newest, false)]
    [InlineData("wireless mouse", IntentSort.Relevance, false)]
    public void Parse_SortAndPriceSensitivity_AreSoftPreferences(string query, IntentSort sort, bool priceSensitive)
    {
        var intent = Parser.Parse(query);

        Assert.Equal(sort, intent.Sort);
        Assert.Equal(priceSensitive, intent.PriceSensitive);
        Assert.Null(intent.PriceMax);
    }

    [Fact]
    public void Parse_ColourMaterialAndSize_AreFound()
    {
        var intent = Parser.Parse("36 in. white vanity with top");

        Assert.Equal("white", intent.Colour);
        Assert.Equal("36 in", intent.Size);
        Assert.Equal("36 in. white vanity with top", intent.Text);

        var leather = Parser.Parse("pink leather case");
        Assert.Equal("leather", leather.Material);
        Assert.Equal("pink", leather.Colour);
        Assert.Equal("Cases", leather.Category);
    }

    [Fact]
    public void Parse_ModelNumberBeforePlus_IsNotALowerBound()
    {
        var intent = Parser.Parse("iphone 7 plus case under $30");

        Assert.Null(intent.PriceMin);
        Assert.Equal(30, intent.PriceMax);
    }

    [Fact]
    public void Parse_EuroSymbol_SetsCurrency()
    {
        var intent = Parser.Parse("mouse under €40");

        Assert.Equal(40, intent.PriceMax);
        Assert.Equal("EUR", intent.Currency);
    }

    [Fact]
    public void Parse_NoConstraints_LeavesTheQueryAsText()
    {
        var intent = Parser.Parse("gift for a runner");

        Assert.Equal("gift for a runner", intent.Text);
        Assert.Null(intent.PriceMax);
        Assert.Empty(intent.ExcludedBrands);
        Assert.Empty(intent.NegatedTerms);
        Assert.Empty(intent.Spans);
    }

    [Fact]
    public void Parse_NoContractWord_IsNotANegation()
    {
        var intent = Parser.Parse("no-contract hotspot");

        Assert.Empty(intent.NegatedTerms);
        Assert.Equal("no-contract hotspot", intent.Text);
    }

    [Fact]
    public void GrammarOnly_BeforeTheCatalogIsLearned_NegatedBrandIsANegatedTerm()
    {
        var intent = EmbeddedIntentParser.GrammarOnly.Parse("wireless mouse not logitech under $40");

        Assert.Equal(["logitech"], intent.NegatedTerms);
        Assert.Equal(40, intent.PriceMax);
    }
}

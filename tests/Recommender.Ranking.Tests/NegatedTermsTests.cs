using Recommender.Contracts;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

public sealed class NegatedTermsTests
{
    private static readonly PinData[] Pins =
    [
        new() { Id = "1", Tenant = "t", Title = "Wool Blend Area Rugs", Brand = "Loloi", Colour = "Ivory" },
        new() { Id = "2", Tenant = "t", Title = "Jute area rug", Brand = "Safavieh", Colour = "natural" },
        new() { Id = "3", Tenant = "t", Title = "Faux leather ottoman", Brand = "HomePop", Colour = "Dark Brown" },
        new() { Id = "4", Tenant = "t", Title = "Leather sofa", Brand = "Leather Co", Colour = "brown" },
        new() { Id = "5", Tenant = "t", Title = "Cotton throw", Brand = "", Colour = "" },
    ];

    [Theory]
    [InlineData("wool", "1")]
    [InlineData("rug", "1,2")] // plurals fold: "Rugs" holds "rug"
    [InlineData("dark brown", "3")] // every word of a term, here from the colour
    [InlineData("leather co", "4")] // words of the brand
    [InlineData("brown leather", "3,4")] // title and colour words together
    [InlineData("wool jute", "")] // no pin holds both
    public void Excludes_PinsHoldingEveryWordOfATerm_AreTheOnesDropped(string term, string expected)
    {
        var negated = NegatedTerms.Of(new ShoppingIntent { NormalizedQuery = "q", NegatedTerms = [term] });

        var byText = Pins.Where(p => negated.Excludes(p.Title, p.Brand, p.Colour)).Select(p => p.Id);
        var retrieved = Pins.Select(p => new RetrievedPin(p)).ToArray();
        var byPin = retrieved.Where(negated.Excludes).Select(p => p.Pin.Id).ToArray();
        var again = retrieved.Where(negated.Excludes).Select(p => p.Pin.Id); // the words kept on the pin

        Assert.Equal(expected, string.Join(',', byText));
        Assert.Equal(expected, string.Join(',', byPin));
        Assert.Equal(expected, string.Join(',', again));
    }

    [Fact]
    public void Excludes_NoTermsOrSeveralTerms_NoneOrAnyTermDrops()
    {
        var none = NegatedTerms.Of(new ShoppingIntent { NormalizedQuery = "q" });
        var two = NegatedTerms.Of(new ShoppingIntent { NormalizedQuery = "q", NegatedTerms = ["jute", "cotton"] });

        Assert.True(none.IsEmpty);
        Assert.DoesNotContain(Pins, p => none.Excludes(new RetrievedPin(p)));
        Assert.Equal(["2", "5"], Pins.Where(p => two.Excludes(new RetrievedPin(p))).Select(p => p.Id));
    }

    [Fact]
    public void WordsOf_TitleBrandColour_DistinctInOrdinalOrder()
    {
        Assert.Equal(["brown", "co", "leather", "sofa"], NegatedTerms.WordsOf("Leather sofa", "Leather Co", "brown"));
    }
}

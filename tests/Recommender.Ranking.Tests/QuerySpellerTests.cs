using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>Query spelling correction learned from the Icecat sample's own words.</summary>
public sealed class QuerySpellerTests
{
    private static readonly Lazy<QuerySpeller> Speller = new(() => QuerySpeller.Build(TestData.IcecatSample));

    [Theory]
    [InlineData("pritner", "printer")] // two neighbours swapped
    [InlineData("keybaord", "keyboard")]
    [InlineData("cartrige", "cartridge")] // a letter missing
    [InlineData("notebok", "notebook")]
    [InlineData("wirelesss", "wireless")] // a letter too many
    [InlineData("monitar", "monitor")] // a letter substituted
    public void CorrectWord_TypoOfACatalogWord_ReturnsTheCatalogWord(string typo, string expected)
    {
        Assert.True(Speller.Value.PinsWith(expected) >= QuerySpeller.MinPins, $"'{expected}' should be a sample word");
        Assert.Equal(0, Speller.Value.PinsWith(typo));

        Assert.Equal(expected, Speller.Value.CorrectWord(typo));
    }

    [Theory]
    [InlineData("toner")] // a catalog word
    [InlineData("cable")]
    [InlineData("a4")] // digits
    [InlineData("hdmi2")]
    [InlineData("xqz")] // too short
    [InlineData("zzzzzzzz")] // nothing one edit away
    public void CorrectWord_KnownShortNumericOrFarWord_Unchanged(string word)
    {
        Assert.Same(word, Speller.Value.CorrectWord(word));
    }

    [Fact]
    public void Correct_Text_FixesOnlyTheMisspelledWords()
    {
        Assert.Equal("hp printer cartridge", Speller.Value.Correct("HP pritner cartrige"));
    }

    [Fact]
    public void Correct_NothingToFix_ReturnsTheSameText()
    {
        const string text = "HP toner cartridges";

        Assert.Same(text, Speller.Value.Correct(text));
    }

    [Fact]
    public void Correct_FirstLetterDiffers_NotCorrected()
    {
        // "printer" is one edit from "brinter", but typos rarely hit the first letter and such guesses are often wrong.
        Assert.Equal("brinter", Speller.Value.CorrectWord("brinter"));
    }

    [Fact]
    public void Vocabulary_BuiltFromCatalog_CarriesItsSpeller()
    {
        var vocabulary = CatalogVocabulary.Build(TestData.IcecatSample);

        Assert.Equal("printer", vocabulary.Speller.CorrectWord("pritner"));
        Assert.Same(QuerySpeller.Empty, QuerySpeller.Empty);
        Assert.Equal("pritner", CatalogVocabulary.Empty.Speller.CorrectWord("pritner"));
    }
}

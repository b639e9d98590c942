using System.Globalization;
using System.Text.Json;
using CsCheck;
using Recommender.Fuzzing;
using Recommender.Ingestion.Import;
using Recommender.Ranking.Intent;

namespace Recommender.UnitTests;

/// <summary>Property-based tests over the parsers and validators that face untrusted input (the same targets the
/// SharpFuzz harness drives): they never throw anything but their documented rejection, and they keep their
/// promises on valid input.</summary>
public class HostileInputPropertyTests
{
    private static readonly Gen<string> NastyText = Gen.OneOf(
        Gen.String,
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.Char[(char)0, (char)0xFFFF].Array[0, 300].Select(c => new string(c)),
        Gen.OneOf<string>("{", "}", "[", "\"", "\\", "null", "{\"id\":", "$", "under", "not", "between", "and", "-", "9e999", "1e-400", "\u0000", "\uD800")
            .Array[0, 30].Select(p => string.Join(" ", p)));

    [Fact]
    public void CatalogLine_ArbitraryText_IsAPinOrALineError()
    {
        NastyText.Sample(FuzzTargets.CatalogLine, iter: 20_000);
    }

    [Fact]
    public void CatalogLine_GeneratedRows_ValidOnesParseInvalidOnesNameTheField()
    {
        var row = Gen.Select(
            Gen.OneOf(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.OneOf<string>("", " ", "bad id!", new string('a', 200))),
            Gen.OneOf(Gen.String[Gen.Char.AlphaNumeric, 1, 60], Gen.OneOf<string>("", "   ")),
            Gen.OneOf(Gen.Double[0, 10_000], Gen.OneOf<double>(-1.0, -0.01)));

        row.Sample((id, title, price) =>
        {
            var line = JsonSerializer.Serialize(new { id, title, price });
            var parsed = JsonlCatalogReader.ParseLine(7, line);
            var valid = id.Length is > 0 and <= 128 && id.All(char.IsAsciiLetterOrDigit) && title.Trim().Length > 0 && price >= 0;
            if (valid)
            {
                Assert.NotNull(parsed.Pin);
                Assert.Equal(id, parsed.Pin.Id);
            }
            else
            {
                Assert.Null(parsed.Pin);
                Assert.Equal(7, parsed.Line);
                Assert.Matches("pin\\.(id|title|price)", parsed.Error!);
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Intent_ArbitraryText_SpansStayInsideTheQuery()
    {
        NastyText.Sample(FuzzTargets.Intent, iter: 20_000);
    }

    [Fact]
    public void Intent_NonAsciiDigits_AreNotReadAsPrices()
    {
        // Found by the property above (seed 7i0Vsl1v6mt1): \d matched a Sundanese digit that double.Parse rejects.
        var intent = EmbeddedIntentParser.GrammarOnly.Parse("cable under \u1BB3 dollars");

        Assert.Null(intent.PriceMax);
    }

    [Fact]
    public void Intent_UnderAnAmount_RecoversTheBound()
    {
        Gen.Select(Gen.Int[1, 100_000], Gen.OneOf<string>("usb cable", "hp toner", "wireless mouse"), Gen.OneOf<string>("under ${0}", "less than {0} dollars", "below ${0}"))
            .Sample((amount, text, pattern) =>
            {
                var query = text + " " + string.Format(CultureInfo.InvariantCulture, pattern, amount);
                var intent = EmbeddedIntentParser.GrammarOnly.Parse(query);
                Assert.Equal(amount, intent.PriceMax);
                Assert.Equal(text, intent.Text);
            }, iter: 2_000);
    }

    [Fact]
    public void PinMessage_RandomBytes_DecodeOrRejectCleanly()
    {
        Gen.Byte.Array[0, 600].Sample(FuzzTargets.PinMessage, iter: 20_000);
    }

    [Fact]
    public void SearchRequestMessage_RandomBytes_DecodeOrRejectCleanly()
    {
        Gen.Byte.Array[0, 600].Sample(FuzzTargets.SearchRequestMessage, iter: 20_000);
    }
}

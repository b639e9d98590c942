using Recommender.Contracts.Catalog.V1;
using Recommender.Ingestion.Import;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ingestion.Tests;

public class PinValidatorTests
{
    private static IReadOnlyList<FieldViolation> Check(Pin pin)
    {
        var v = new Violations();
        PinValidator.Validate(pin, "pin", v);
        return v.Items;
    }

    [Fact]
    public void Validate_GoodPin_HasNoViolations()
    {
        var pin = new Pin { Id = "sku-1:a", Title = "Rug", Price = 0, Currency = "EUR", ImageUrl = "https://x.example/a.jpg", Link = "http://x.example/p" };

        Assert.Empty(Check(pin));
    }

    [Theory]
    [InlineData("", "Rug", 1, "", "pin.id")]
    [InlineData("has space", "Rug", 1, "", "pin.id")]
    [InlineData("ok", "", 1, "", "pin.title")]
    [InlineData("ok", "Rug", -0.01, "", "pin.price")]
    [InlineData("ok", "Rug", double.NaN, "", "pin.price")]
    [InlineData("ok", "Rug", 1, "javascript:alert(1)", "pin.image_url")]
    [InlineData("ok", "Rug", 1, "/relative.png", "pin.image_url")]
    public void Validate_BadField_NamesTheField(string id, string title, double price, string image, string field)
    {
        var violations = Check(new Pin { Id = id, Title = title, Price = price, ImageUrl = image });

        Assert.Contains(violations, x => x.Field == field);
    }

    [Fact]
    public void Validate_OversizedFields_AreRejected()
    {
        var pin = new Pin { Id = new string('a', PinValidator.MaxIdLength + 1), Title = new string('t', PinValidator.MaxTitleLength + 1) };
        for (var i = 0; i <= PinValidator.MaxCategoryLevels; i++)
        {
            pin.CategoryPath.Add("c");
        }

        var fields = Check(pin).Select(x => x.Field).ToList();

        Assert.Contains("pin.id", fields);
        Assert.Contains("pin.title", fields);
        Assert.Contains("pin.category_path", fields);
    }

    [Fact]
    public void ParseLine_InvalidJson_ReportsLineAndReason()
    {
        var row = JsonlCatalogReader.ParseLine(42, "{\"id\": ");

        Assert.Null(row.Pin);
        Assert.Equal(42, row.Line);
        Assert.Contains("not a valid pin", row.Error, StringComparison.Ordinal);
    }
}

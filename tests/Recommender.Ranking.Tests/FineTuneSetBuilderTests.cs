using System.Text.Json;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

public sealed class FineTuneSetBuilderTests
{
    [Fact]
    public void Write_IcecatSample_ChatLinesWithValidIntentJson()
    {
        using var writer = new StringWriter();

        var written = FineTuneSetBuilder.Write(TestData.IcecatSample, writer, count: 300, seed: 7);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(300, written);
        Assert.Equal(300, lines.Length);
        var sawExclusion = false;
        var sawSort = false;
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var messages = doc.RootElement.GetProperty("messages");
            Assert.Equal(3, messages.GetArrayLength());
            Assert.Equal(["system", "user", "assistant"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
            Assert.Equal(IntentPrompt.System, messages[0].GetProperty("content").GetString());
            var answer = IntentJson.TryParse(messages[2].GetProperty("content").GetString(), out var error);
            Assert.True(answer is not null, error);
            sawExclusion |= answer.ExcludedBrands is { Count: > 0 };
            sawSort |= answer.ParsedSort != IntentSort.Relevance;
        }

        Assert.True(sawExclusion);
        Assert.True(sawSort);
    }

    [Fact]
    public void Write_SameSeed_SameLines()
    {
        using var a = new StringWriter();
        using var b = new StringWriter();

        FineTuneSetBuilder.Write(TestData.IcecatSample, a, 50, seed: 3);
        FineTuneSetBuilder.Write(TestData.IcecatSample, b, 50, seed: 3);

        Assert.Equal(a.ToString(), b.ToString());
    }

    [Fact]
    public void IntentJson_RoundTrip_KeepsEverySlot()
    {
        var intent = new ShoppingIntent
        {
            NormalizedQuery = "q",
            Category = "Toner",
            Brands = ["HP"],
            ExcludedBrands = ["Canon"],
            Colour = "black",
            Material = "plastic",
            Size = "2 tb",
            PriceMin = 10,
            PriceMax = 49.99,
            PriceSensitive = true,
            NegatedTerms = ["refurbished"],
            Sort = IntentSort.BestRated,
        };

        var parsed = IntentJson.TryParse(IntentJson.From(intent).ToJson(), out var error);

        Assert.NotNull(parsed);
        Assert.Equal("", error);
        Assert.Equal(IntentJson.From(intent) with { Brands = null, ExcludedBrands = null, NegatedTerms = null },
            parsed with { Brands = null, ExcludedBrands = null, NegatedTerms = null });
        Assert.Equal(["HP"], parsed.Brands);
        Assert.Equal(IntentSort.BestRated, parsed.ParsedSort);
    }
}

using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>The ML.NET category classifier on real catalogs, trained and scored on disjoint pins.</summary>
public sealed class CategoryClassifierTests(ITestOutputHelper output)
{
    [Fact]
    public void Train_BestBuyTitles_PredictsHeldOutTitlesCategories()
    {
        var pins = TestData.RequireShared("bestbuy_cellphones", "bestbuy");
        var rows = CategoryClassifier.TrainingRows(pins);
        var train = rows.Where((_, i) => i % 5 != 0).ToList();
        var test = rows.Where((_, i) => i % 5 == 0).ToList();

        var classifier = CategoryClassifier.Train(train);

        Assert.NotNull(classifier);
        var (top1, _) = classifier.Evaluate(test, threshold: 0);
        var (precise, coverage) = classifier.Evaluate(test, threshold: 0.5);
        output.WriteLine($"{classifier.Labels.Count} labels, {train.Count} train / {test.Count} held-out titles: top-1 accuracy {top1:F3}; at p >= 0.5: accuracy {precise:F3} on {coverage:P0} of titles");
        var majority = test.GroupBy(r => r.Label).Max(g => g.Count()) / (double)test.Count;
        Assert.True(top1 > majority + 0.2, $"top-1 {top1:F3} is not clearly above the majority class share {majority:F3}");
        Assert.True(precise > top1, "confident predictions should be more accurate than all predictions");
    }

    [Fact]
    public void Train_IcecatSampleProductTypes_NamesTheType()
    {
        var rows = CategoryClassifier.TrainingRows(TestData.IcecatSample);

        var classifier = CategoryClassifier.Train(rows);

        Assert.NotNull(classifier);
        Assert.Contains("Notebook", classifier.Labels);
        Assert.Equal("Notebook", classifier.Predict("lenovo thinkpad notebook 14 inch").Label);
        Assert.Equal("Processor", classifier.Predict("intel core i7 processor").Label);
    }

    [Fact]
    public void Predict_IcecatSampleTitlesAndQueries_GivesMlNetsLabelAndProbability()
    {
        var rows = CategoryClassifier.TrainingRows(TestData.IcecatSample);
        var classifier = CategoryClassifier.Train(rows);
        Assert.NotNull(classifier);
        Assert.True(classifier.ScoresDirectly);

        var texts = QueryLikeTexts(TestData.IcecatSample.Select(p => p.Title)).ToList();
        var direct = AssertSameAsEngine(classifier, texts);

        output.WriteLine($"{classifier.Labels.Count} labels; {texts.Count} texts, {direct} of them printable ASCII (scored directly)");
        Assert.True(direct > texts.Count * 0.9, $"only {direct} of {texts.Count} texts were printable ASCII");
    }

    [Fact]
    public void Predict_BestBuyTitlesAndQueries_GivesMlNetsLabelAndProbability()
    {
        var pins = TestData.RequireShared("bestbuy_cellphones", "bestbuy");
        var classifier = CategoryClassifier.Train(CategoryClassifier.TrainingRows(pins));
        Assert.NotNull(classifier);
        Assert.True(classifier.ScoresDirectly);

        var texts = QueryLikeTexts(pins.Select(p => p.Title)).ToList();
        var direct = AssertSameAsEngine(classifier, texts);

        output.WriteLine($"{classifier.Labels.Count} labels; {texts.Count} texts, {direct} scored directly");
    }

    [Fact]
    public void Train_ATitleWithAPipe_ScoresEveryQueryThroughMlNet()
    {
        var classifier = CategoryClassifier.Train([("usb | cable", "Cables"), ("hdmi cable", "Cables"), ("vga cable", "Cables"),
            ("wireless mouse", "Mice"), ("optical mouse", "Mice"), ("gaming mouse", "Mice")]);

        Assert.NotNull(classifier);
        Assert.False(classifier.ScoresDirectly);
        Assert.Equal("Mice", classifier.Predict("mouse").Label);
    }

    [Fact]
    public void Train_FewerThanTwoCategories_ReturnsNull()
    {
        Assert.Null(CategoryClassifier.Train([("a", "x"), ("b", "x"), ("c", "x")]));
    }

    /// <summary>The titles as they are, and query-like variants of them: lower and upper case, a few words, doubled and
    /// trailing spaces, punctuation, unknown words, and edge cases (empty, one character, spaces only).</summary>
    private static IEnumerable<string> QueryLikeTexts(IEnumerable<string> titles)
    {
        string[] edge = ["", " ", "   ", "a", "x y", "HP", "hp  toner", " hp toner ", "toner,", "USB-C 3.1 (2 m)", "zzqx unknownword", "i7", "14\" notebook", "été"];
        var i = 0;
        foreach (var title in titles)
        {
            var words = title.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            yield return title;
            yield return (i % 4) switch
            {
                0 => title.ToLowerInvariant(),
                1 => title.ToUpperInvariant(),
                2 => string.Join("  ", words.Take(3)) + " ",
                _ => string.Join(' ', words.Reverse().Take(2)) + "!",
            };
            i++;
        }

        foreach (var text in edge)
        {
            yield return text;
        }
    }

    /// <summary>Asserts each text's direct prediction equals ML.NET's; returns how many were printable ASCII.</summary>
    private static int AssertSameAsEngine(CategoryClassifier classifier, IReadOnlyList<string> texts)
    {
        var ascii = 0;
        foreach (var text in texts)
        {
            ascii += text.All(c => c is >= ' ' and <= '~' and not '|') ? 1 : 0;
            var (label, confidence) = classifier.Predict(text);
            var (expectedLabel, expectedConfidence) = classifier.PredictWithEngine(text);
            Assert.True(expectedLabel == label && Math.Abs(expectedConfidence - confidence) < 1e-5,
                $"'{text}': {label} {confidence:F7}, ML.NET {expectedLabel} {expectedConfidence:F7}");
        }

        return ascii;
    }
}

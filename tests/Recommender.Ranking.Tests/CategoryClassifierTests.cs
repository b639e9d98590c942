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
    public void Train_FewerThanTwoCategories_ReturnsNull()
    {
        Assert.Null(CategoryClassifier.Train([("a", "x"), ("b", "x"), ("c", "x")]));
    }
}

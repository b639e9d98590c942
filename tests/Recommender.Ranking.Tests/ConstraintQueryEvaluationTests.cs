using Recommender.Contracts;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Tests;

/// <summary>
/// The embedded parser against constraint queries made from real Icecat and Best Buy pins (brand + type + price bound
/// + negation). Each catalog is its own tenant: the parser learns that catalog's vocabulary and classifier.
/// </summary>
public sealed class ConstraintQueryEvaluationTests(ITestOutputHelper output)
{
    public const int QueriesPerCatalog = 150;
    public const int Seed = 20261122;

    [Fact]
    public void EmbeddedParser_ConstraintQueriesFromIcecatAndBestBuy_RecoversHardConstraints()
    {
        var icecat = TestData.RequireShared("icecat_chorus", "icecat");
        var bestBuy = TestData.RequireShared("bestbuy_cellphones", "bestbuy");

        var total = new SlotScorer();
        foreach (var (name, pins) in new[] { ("icecat", icecat), ("bestbuy", bestBuy) })
        {
            var scorer = new SlotScorer();
            var model = IntentModel.Build(pins, categoryThreshold: 0.5);
            var queries = new QuerySynthesizer(pins, model.Parser.Vocabulary, Seed).Constraints(QueriesPerCatalog).ToList();
            Assert.Equal(QueriesPerCatalog, queries.Count);
            foreach (var q in queries)
            {
                var actual = model.Parser.Parse(q.Query);
                scorer.Add(q.Query, q.Expected, actual, q.CategoryPath);
                total.Add(q.Query, q.Expected, actual, q.CategoryPath);
            }

            output.WriteLine($"## {name}: {pins.Count} pins, model built in {model.BuildTime.TotalMilliseconds:F0} ms");
            output.WriteLine(scorer.Table());
            foreach (var miss in scorer.Misses.Take(40))
            {
                output.WriteLine("  " + miss);
            }
        }

        output.WriteLine("## both catalogs");
        output.WriteLine(total.Table());
        Assert.True(total.Queries >= 200);
        foreach (var slot in (string[])["price_min", "price_max", "excluded_brands"])
        {
            Assert.True(total.Precision(slot) >= 0.95, $"{slot} precision {total.Precision(slot):F3} < 0.95");
            Assert.True(total.Recall(slot) >= 0.95, $"{slot} recall {total.Recall(slot):F3} < 0.95");
        }
    }
}

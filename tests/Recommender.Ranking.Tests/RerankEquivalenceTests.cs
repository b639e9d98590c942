using Microsoft.Extensions.Options;
using Microsoft.ML;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>The re-ranking tail (lazy, pruned MMR; first pages explained from noted leaves) ranks exactly as scoring each candidate alone and
/// the textbook MMR do.</summary>
public sealed class RerankEquivalenceTests
{
    private static readonly LambdaRankOptions SmallModel = new() { Trees = 60, Leaves = 16, MinRowsPerLeaf = 5, LearningRate = 0.2, Threads = 1 };

    [Fact]
    public void Explain_TrainedEnsemble_EqualsPathAttributionOverTheStoredTrees()
    {
        var train = LearningToRankTests.Synthetic(seed: 10, groups: 80);
        var data = LambdaRankTrainer.Export(
            LambdaRankTrainer.Train(new MLContext(seed: 1), train, RankingFeature.Count, SmallModel).Model, train.SelectMany(g => g.Features));
        var ranker = new TreeEnsembleRanker("t", data);
        var actual = new double[RankingFeature.Count];
        foreach (var row in train.SelectMany(g => g.Features).Take(100).Select(r => Array.ConvertAll(r, v => (double)v)))
        {
            // Saabas attribution walked directly over the artifact's trees.
            var expected = new double[RankingFeature.Count];
            foreach (var tree in data.Trees)
            {
                for (var node = tree.Feature.Length == 0 ? -1 : 0; node >= 0;)
                {
                    var next = (float)row[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
                    var nextValue = next >= 0 ? tree.NodeValues[next] : tree.LeafValues[~next];
                    expected[tree.Feature[node]] += tree.Weight * (nextValue - tree.NodeValues[node]);
                    node = next;
                }
            }

            ranker.Explain(row, actual);

            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(DiversityMode.Mmr, false)]
    [InlineData(DiversityMode.Mmr, true)]
    [InlineData(DiversityMode.None, true)]
    public void Rank_IcecatCandidatesWithTrainedTrees_SameOrderAsScoringEachAndTextbookMmr(DiversityMode mode, bool outOfStockBottom)
    {
        var pins = TestData.IcecatSample.Select((p, i) => p with { InStock = i % 20 != 0 }).ToList();
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        var (sets, model) = IcecatSetsAndModel(pins, extractor,
            ["toner cartridge", "usb cable", "wireless mouse", "laptop", "black ink", "ups battery", "hdmi cable", "notebook bag"], withRows: false);
        var diversity = new DiversityOptions { Mode = mode };
        var rules = new RankingRulesOptions { Default = new RuleSet { OutOfStock = outOfStockBottom ? OutOfStockMode.Bottom : OutOfStockMode.None } };
        var registry = new RankerRegistry();
        registry.Swap(model);
        var tail = new RankingTail(extractor, registry, new BusinessRules(Options.Create(rules)), Options.Create(diversity),
            new RankedListCache(Options.Create(new PaginationOptions()), TimeProvider.System));

        var moved = 0;
        foreach (var (query, candidates) in sets)
        {
            var actual = tail.Rank(Context(query), Fresh(candidates), model).Select(c => c.Pin.Id).ToList();
            var expected = Reference(Context(query), Fresh(candidates), model, extractor, diversity, outOfStockBottom).Select(c => c.Pin.Id).ToList();

            Assert.Equal(expected, actual);
            moved += expected.Where((id, i) => id != candidates[i].Candidate.Pin.Id).Count();
        }

        Assert.True(moved > 0, "ranking should re-order retrieval's order");
    }

    [Fact]
    public void Finish_IcecatCandidatesWithTrainedTrees_FirstPageExplainedFromLeavesAsFromFeatures()
    {
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        var (sets, model) = IcecatSetsAndModel(TestData.IcecatSample.ToList(), extractor,
            ["toner cartridge", "usb cable", "wireless mouse", "laptop"], withRows: true);

        RankingTail Tail(IRankerModel m)
        {
            var registry = new RankerRegistry();
            registry.Swap(m);
            return new RankingTail(extractor, registry, new BusinessRules(Options.Create(new RankingRulesOptions())), Options.Create(new DiversityOptions()),
                new RankedListCache(Options.Create(new PaginationOptions()), TimeProvider.System));
        }

        var fromLeaves = Tail(model);
        var fromFeatures = Tail(new WalkOnly(model));
        var explained = 0;
        foreach (var (query, candidates) in sets)
        {
            var actual = fromLeaves.Finish(Context(query), Fresh(candidates), 0, 20, "f");
            var expected = fromFeatures.Finish(Context(query), Fresh(candidates), 0, 20, "f");

            Assert.Equal(expected.Results, actual.Results);
            explained += actual.Results.Sum(r => r.Explanation.Count(e => e.Contribution != 0));
        }

        Assert.True(explained > 100, "the page should carry feature contributions");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Continue_KeptList_LaterPagesEqualTheSamePagesOfTheRankingThatKeptIt(bool trees)
    {
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        var (sets, trained) = IcecatSetsAndModel(
            TestData.IcecatSample.Select((p, i) => p with { InStock = i % 20 != 0 }).ToList(), extractor, ["toner cartridge", "usb cable", "laptop"], withRows: true);
        IRankerModel model = trees ? trained : new LinearRanker();
        var registry = new RankerRegistry();
        registry.Swap(model);
        var rules = new RankingRulesOptions { Default = new RuleSet { OutOfStock = OutOfStockMode.Bottom } };
        var tail = new RankingTail(extractor, registry, new BusinessRules(Options.Create(rules)), Options.Create(new DiversityOptions()),
            new RankedListCache(Options.Create(new PaginationOptions()), TimeProvider.System));
        var pages = 0;
        foreach (var (query, candidates) in sets)
        {
            // The whole list as the first ranking saw it (one page of everything, exact features), then its later pages
            // as the kept snapshot gives them.
            var whole = tail.Finish(Context(query), Fresh(candidates), 0, 1_000, "f").Results;
            var first = tail.Finish(Context(query), Fresh(candidates), 0, 20, "f");
            var token = first.NextPageToken;
            var position = first.Results.Count;
            while (token.Length > 0)
            {
                var page = tail.Continue(token, 20, "f")!;
                Assert.Equal(first.QueryId, page.QueryId);
                foreach (var actual in page.Results)
                {
                    var expected = whole[position++];
                    Assert.Equal((expected.Pin.Id, expected.Position, expected.Score), (actual.Pin.Id, actual.Position, actual.Score));
                    Assert.Equal(expected.Explanation.Select(e => e.Feature), actual.Explanation.Select(e => e.Feature));
                    foreach (var (e, a) in expected.Explanation.Zip(actual.Explanation))
                    {
                        // Kept features are float32: the trees decide on float32 anyway (exact contributions); a linear
                        // model's contributions and every shown value agree to float precision.
                        Assert.Equal(e.Value, a.Value, Math.Abs(e.Value) * 1e-6);
                        Assert.Equal(e.Contribution, a.Contribution, trees ? 0 : Math.Abs(e.Contribution) * 1e-6);
                    }
                }

                pages++;
                token = page.NextPageToken;
            }

            Assert.Equal(whole.Count, position);
        }

        Assert.True(pages >= 3 * 9, $"{pages} later pages");
    }

    /// <summary>The same model without <see cref="ILeafExplainer"/>: the tail explains by walking the trees.</summary>
    private sealed class WalkOnly(IRankerModel inner) : IRankerModel
    {
        public string Version => inner.Version;

        public double Score(ReadOnlySpan<double> features) => inner.Score(features);

        public void Explain(ReadOnlySpan<double> features, Span<double> contributions) => inner.Explain(features, contributions);
    }

    /// <summary>What the tail did before: each candidate scored alone, sorted by score (ties by id), out-of-stock
    /// pins last when asked, and textbook MMR on each part.</summary>
    private static List<Candidate> Reference(
        SearchContext context, List<Candidate> candidates, IRankerModel model, FeatureExtractor extractor, DiversityOptions diversity, bool outOfStockBottom)
    {
        extractor.Extract(context, candidates);
        foreach (var c in candidates)
        {
            c.Score = model.Score(c.Features.Values);
        }

        if (outOfStockBottom)
        {
            var min = candidates.Min(c => c.Score);
            var max = candidates.Max(c => c.Score);
            var range = max > min ? max - min : Math.Max(1e-9, Math.Abs(max));
            foreach (var c in candidates.Where(c => !c.Pin.InStock))
            {
                c.Score -= range;
            }
        }

        var ordered = candidates.OrderBy(c => outOfStockBottom && !c.Pin.InStock ? 1 : 0)
            .ThenByDescending(c => c.Score).ThenBy(c => c.Pin.Id, StringComparer.Ordinal).ToList();
        if (diversity.Mode != DiversityMode.Mmr)
        {
            return ordered;
        }

        var inStock = ordered.TakeWhile(c => !outOfStockBottom || c.Pin.InStock).ToList();
        var rest = ordered.Skip(inStock.Count).ToList();
        var result = DiversifierTests.Exhaustive(inStock, diversity.Lambda, diversity.MmrDepth);
        if (rest.Count > 1)
        {
            result.AddRange(DiversifierTests.Exhaustive(rest, diversity.Lambda, diversity.MmrDepth));
        }
        else
        {
            result.AddRange(rest);
        }

        return result;
    }

    private static SearchContext Context(string query) => new("default", TextTokenizer.Tokenize(query));

    /// <summary>Retrieval-ordered candidate sets of the queries over <paramref name="pins"/> (hashing embedder) and a
    /// small LambdaRank model trained on those very candidates (grade: how many query words the title holds), so its
    /// splits fall where the real features are; exported with the training rows when <paramref name="withRows"/>.</summary>
    private static (List<(string Query, List<(Candidate Candidate, float[] Vector)> Candidates)> Sets, TreeEnsembleRanker Model) IcecatSetsAndModel(
        List<PinData> pins, FeatureExtractor extractor, string[] queries, bool withRows)
    {
        var catalog = new NearestPins(pins);
        var sets = queries.Select(q => (Query: q, Candidates: catalog.Nearest(q, 200))).ToList();
        var groups = sets.Select(s =>
        {
            var context = Context(s.Query);
            extractor.Extract(context, s.Candidates.Select(x => x.Candidate).ToList());
            var words = context.QueryTokens.ToHashSet(StringComparer.Ordinal);
            return new RankingGroup(s.Query,
                s.Candidates.Select(x => x.Candidate.Features.ToSingleArray()).ToArray(),
                s.Candidates.Select(x => Math.Min(4, TextTokenizer.Tokenize(x.Candidate.Pin.Title).Count(words.Contains) * 2)).ToArray());
        }).ToList();
        var trained = LambdaRankTrainer.Train(new MLContext(seed: 1), groups, RankingFeature.Count, SmallModel).Model;
        return (sets, new TreeEnsembleRanker("icecat",
            withRows ? LambdaRankTrainer.Export(trained, groups.SelectMany(g => g.Features)) : LambdaRankTrainer.Export(trained)));
    }

    /// <summary>New candidate objects for the same pins (a ranking changes its candidates).</summary>
    private static List<Candidate> Fresh(List<(Candidate Candidate, float[] Vector)> set) =>
        set.Select(x => new Candidate(x.Candidate.Pin, x.Candidate.Fused, x.Candidate.Dense, x.Candidate.Sparse) { Vector = x.Vector }).ToList();
}

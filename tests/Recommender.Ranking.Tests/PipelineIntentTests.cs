using Recommender.Contracts;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

/// <summary>How an intent becomes vector filters (hard constraints) and ranking features (soft ones).</summary>
public sealed class PipelineIntentTests
{
    private static readonly CatalogVocabulary Vocabulary = CatalogVocabulary.Build(TestCatalog.Pins());
    private static readonly EmbeddedIntentParser Parser = new(Vocabulary, classifier: null);

    [Fact]
    public void Build_ExcludedBrand_IsMustNotWithEverySpelling()
    {
        var filter = SearchFilterBuilder.Build(null, Parser.Parse("mouse not insignia under $20"), Vocabulary);

        var range = Assert.Single(filter.Must).Range;
        Assert.Equal("price", range.Field);
        Assert.Equal(20, range.Lte);
        Assert.False(range.HasGte);
        var excluded = Assert.Single(filter.MustNot).Keyword;
        Assert.Equal("brand", excluded.Field);
        Assert.Equal(["Insignia", "Insignia™"], excluded.Any.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Build_MentionedBrand_IsNotAFilterUnlessRequired()
    {
        var soft = SearchFilterBuilder.Build(null, Parser.Parse("hp toner"), Vocabulary);
        var hard = SearchFilterBuilder.Build(null, Parser.Parse("only hp toner"), Vocabulary);

        Assert.Empty(soft.Must);
        var must = Assert.Single(hard.Must).Keyword;
        Assert.Equal("brand", must.Field);
        Assert.Equal(["HP"], must.Any);
    }

    [Fact]
    public void Build_ExplicitFiltersAndIntent_TakeTheTighterBounds()
    {
        var filters = new Contracts.Ranking.V1.SearchFilters { PriceMin = 30, PriceMax = 100 };

        var filter = SearchFilterBuilder.Build(filters, Parser.Parse("ups between 10 and 80"), Vocabulary);

        var range = Assert.Single(filter.Must).Range;
        Assert.Equal(30, range.Gte);
        Assert.Equal(80, range.Lte);
    }

    [Fact]
    public void Extract_IntentSlots_SetBrandCategoryColourAndPriceFeatures()
    {
        var pins = TestCatalog.Pins();
        var candidates = pins.Where(p => p.CategoryPath.Contains("Toner")).Select(p => new Candidate(p, 1, 0.5f, 1)).ToList();
        var intent = Parser.Parse("cheap black hp toner");

        new FeatureExtractor(new EngagementState(Microsoft.Extensions.Options.Options.Create(new EngagementOptions()))).Extract(new SearchContext("t", ["black", "hp", "toner"], intent), candidates);

        var hpBlack = candidates.Single(c => c.Pin.Title.StartsWith("HP 26A", StringComparison.Ordinal));
        var hpCyan = candidates.Single(c => c.Pin.Title.StartsWith("HP 201X", StringComparison.Ordinal));
        var brother = candidates.Single(c => c.Pin.Brand == "Brother");
        Assert.Equal(1, hpBlack.Features[RankingFeature.BrandMatch]);
        Assert.Equal(0, brother.Features[RankingFeature.BrandMatch]);
        Assert.All(candidates, c => Assert.Equal(1, c.Features[RankingFeature.CategoryMatch]));
        Assert.Equal(1, hpBlack.Features[RankingFeature.ColourMatch]);
        Assert.Equal(0, hpCyan.Features[RankingFeature.ColourMatch]);
        Assert.Equal(1, brother.Features[RankingFeature.LowPrice]); // the cheapest toner
        Assert.Equal(0, hpBlack.Features[RankingFeature.LowPrice]); // the dearest
    }

    [Fact]
    public void Extract_CategoryInPathWithOtherCase_MatchesIgnoringCase()
    {
        var toner = TestCatalog.Pins().First(p => p.CategoryPath.Contains("Toner"));
        var intent = Parser.Parse("cheap black hp toner");
        Assert.NotNull(intent.Category);
        var candidates = new List<Candidate>
        {
            new(toner with { Id = "upper", CategoryPath = ["Supplies", intent.Category.ToUpperInvariant()] }, 1, 0.5f, 1),
            new(toner with { Id = "lower", CategoryPath = [intent.Category.ToLowerInvariant()] }, 1, 0.5f, 1),
            new(toner with { Id = "elsewhere", Title = "Paper", CategoryPath = ["Supplies", "Paper"] }, 1, 0.5f, 1),
        };

        new FeatureExtractor(new EngagementState(Microsoft.Extensions.Options.Options.Create(new EngagementOptions()))).Extract(new SearchContext("t", ["black", "hp", "toner"], intent), candidates);

        Assert.Equal([1.0, 1.0], candidates.Take(2).Select(c => (double)c.Features[RankingFeature.CategoryMatch]));
        Assert.True(candidates[2].Features[RankingFeature.CategoryMatch] < 1);
    }

    [Fact]
    public void Finish_ListAfterOneWithIntentSlots_ScoresAsIfRankedAlone()
    {
        // Finish keeps a list's features in one pooled block. The toner list sets the slot features (brand, category,
        // colour, low price), which a list without intent leaves unset: the block the second list gets back must not
        // carry them over.
        var toners = TestCatalog.Pins().Where(p => p.CategoryPath.Contains("Toner")).ToList();
        List<Candidate> Fresh() => toners.Select((p, i) => new Candidate(p, 1f - (0.01f * i), 0.5f - (0.01f * i), 1)).ToList();
        var tail = LinearTail(Pipeline.Tail.DiversityMode.None);
        var plain = new SearchContext("t", ["laser", "cartridge"]);
        var expected = tail.Rank(plain, Fresh(), new LinearRanker()).Select(c => (c.Pin.Id, c.Score)).ToList();

        var slotted = new SearchContext("t", ["black", "hp", "toner"], Parser.Parse("cheap black hp toner"));
        Assert.All(tail.Rank(slotted, Fresh(), new LinearRanker()), c => Assert.Equal(1, c.Features[RankingFeature.CategoryMatch]));

        tail.Finish(slotted, Fresh(), 0, 50, "a");
        var actual = tail.Finish(plain, Fresh(), 0, 50, "b");

        Assert.Equal(expected, actual.Results.Select(r => (r.Pin.Id, r.Score)).ToList());
    }

    [Fact]
    public void Finish_FeaturesReadAfterTheListIsFinished_AreTheCandidatesOwn()
    {
        var candidates = TestCatalog.Pins().Select(p => new Candidate(p, 1, 0.5f, 1)).ToList();
        var tail = LinearTail(Pipeline.Tail.DiversityMode.Mmr);

        tail.Finish(new SearchContext("t", ["mouse"], Parser.Parse("mouse")), candidates, 0, 10, "f");

        // The block went back to the pool: a late reader gets a fresh row, never another list's.
        candidates[0].Features[RankingFeature.Fused] = 42;
        Assert.All(candidates.Skip(1), c => Assert.All(c.Features.Values.ToArray(), v => Assert.Equal(0, v)));
        Assert.Equal(42, candidates[0].Features[RankingFeature.Fused]);
    }

    /// <summary>A tail with the default linear model, default rules and pagination, and the given diversity.</summary>
    private static RankingTail LinearTail(Pipeline.Tail.DiversityMode diversity)
    {
        var registry = new RankerRegistry();
        registry.Swap(new LinearRanker());
        return new RankingTail(new FeatureExtractor(NoEngagement.Instance), registry,
            new Pipeline.Tail.BusinessRules(Microsoft.Extensions.Options.Options.Create(new Pipeline.Tail.RankingRulesOptions())),
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Tail.DiversityOptions { Mode = diversity }),
            new Pipeline.Tail.RankedListCache(Microsoft.Extensions.Options.Options.Create(new Pipeline.Tail.PaginationOptions()), TimeProvider.System));
    }

    [Fact]
    public void Extract_NoPriceSensitivity_LowPriceIsZero()
    {
        var candidates = TestCatalog.Pins().Select(p => new Candidate(p, 1, 0.5f, 1)).ToList();

        new FeatureExtractor(new EngagementState(Microsoft.Extensions.Options.Options.Create(new EngagementOptions()))).Extract(new SearchContext("t", ["mouse"], Parser.Parse("mouse")), candidates);

        Assert.All(candidates, c => Assert.Equal(0, c.Features[RankingFeature.LowPrice]));
        Assert.Equal(RankingFeature.Count, RankingFeature.Names.Length);
        Assert.Equal(RankingFeature.Count, RankingFeature.DefaultWeights.Length);
    }

    [Fact]
    public void ToProto_EveryIntentFieldIsFilled()
    {
        var intent = Parser.Parse("cheapest black hp toner between 20 and 90 dollars not canon without staples 2 tb");

        var proto = IntentProto.ToProto(intent);

        Assert.Equal(intent.NormalizedQuery, proto.NormalizedQuery);
        Assert.Equal("Toner", proto.Category);
        Assert.Equal(1f, proto.CategoryConfidence);
        Assert.Equal(["HP"], proto.Brands);
        Assert.Equal(["Canon"], proto.ExcludedBrands);
        Assert.Equal("black", proto.Colour);
        Assert.Equal("2 tb", proto.Size);
        Assert.Equal(20, proto.PriceMin);
        Assert.Equal(90, proto.PriceMax);
        Assert.Equal("USD", proto.Currency);
        Assert.Equal(["staples"], proto.NegatedTerms);
        Assert.Equal(Contracts.Ranking.V1.SortPreference.Cheapest, proto.Sort);
        Assert.True(proto.PriceSensitive);
        Assert.Equal(IntentParsers.Embedded, proto.ParsedBy);
        Assert.Equal(intent.Spans.Count, proto.Spans.Count);
        Assert.Equal("black hp toner 2 tb", proto.Text);
    }

    [Theory]
    [InlineData(1000, 1000, false)]
    [InlineData(1000, 1050, false)]
    [InlineData(1000, 1200, true)]
    [InlineData(1000, 800, true)]
    [InlineData(0, 10, true)]
    public void NeedsRebuild_CountChangedByMoreThanTheRatio_Rebuilds(long builtFrom, long now, bool rebuild)
    {
        var model = new IntentModel(Parser, builtFrom, DateTimeOffset.UtcNow, TimeSpan.Zero);

        Assert.Equal(rebuild, IntentRefreshService.NeedsRebuild(model, now, new IntentOptions(), DateTimeOffset.UtcNow));
    }

    [Fact]
    public void NeedsRebuild_OldModelAndAnyChange_Rebuilds()
    {
        var model = new IntentModel(Parser, 1000, DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.Zero);

        Assert.True(IntentRefreshService.NeedsRebuild(model, 1001, new IntentOptions(), DateTimeOffset.UtcNow));
        Assert.False(IntentRefreshService.NeedsRebuild(model, 1000, new IntentOptions(), DateTimeOffset.UtcNow));
        Assert.True(IntentRefreshService.NeedsRebuild(null, 0, new IntentOptions(), DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Registry_UnknownTenant_GrammarUntilSwapped()
    {
        var registry = new IntentModelRegistry();

        Assert.Same(EmbeddedIntentParser.GrammarOnly, registry.ParserFor("new-tenant"));
        Assert.True(registry.Requests.TryRead(out var requested));
        Assert.Equal("new-tenant", requested);
        registry.Swap("new-tenant", new IntentModel(Parser, 15, DateTimeOffset.UtcNow, TimeSpan.Zero));
        Assert.Same(Parser, registry.ParserFor("new-tenant"));
    }
}

using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>Diversity, stable pages and related pins through real gRPC (brand cap 3 per 10 positions).</summary>
public sealed class DiversityAndPagingTests(DiversityHostFixture host) : IClassFixture<DiversityHostFixture>
{
    [Theory]
    [InlineData("toner")]
    [InlineData("ink cartridge")]
    [InlineData("laptop")]
    public async Task Search_BrandCap_AtMostThreeOfABrandPerTenPositions(string query)
    {
        var all = await TailHostFixture.AllPagesAsync(host.PlainRanking, query, 20);

        Assert.True(all.Count >= 100, $"{all.Count} results");
        foreach (var window in all.Take(100).Chunk(10))
        {
            var worst = window.Where(r => r.Pin.Brand.Length > 0).GroupBy(r => r.Pin.Brand, StringComparer.OrdinalIgnoreCase)
                .MaxBy(g => g.Count());
            Assert.True(worst is null || worst.Count() <= 3, $"{worst?.Count()} x {worst?.Key} in positions {window[0].Position}-{window[^1].Position}");
        }

        // The cap had work to do: demoted pins say so.
        Assert.Contains(all, r => r.Explanation.Any(e => e.Feature == TailExplanations.Diversity));
    }

    [Fact]
    public async Task Search_BrandNamedInQuery_IsNotCapped()
    {
        var page = await host.PlainRanking.SearchAsync(new SearchRequest { Query = "xerox toner", PageSize = 10 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["Xerox"], page.Intent.Brands);
        Assert.True(page.Results.Count(r => r.Pin.Brand == "Xerox") > 3, string.Join(", ", page.Results.Select(r => r.Pin.Brand)));
    }

    [Fact]
    public async Task Mmr_SimilarCandidates_FewerNearDuplicatesOnTop()
    {
        var generator = host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var pins = host.Pins.Where(p => p.Title.Contains("toner", StringComparison.OrdinalIgnoreCase)).ToList();
        var vectors = (await generator.GenerateAsync(pins.Select(PinText.Of), cancellationToken: TestContext.Current.CancellationToken)).Select(e => e.Vector.ToArray()).ToList();
        var query = (await generator.GenerateAsync(["xerox toner cartridge"], cancellationToken: TestContext.Current.CancellationToken))[0].Vector.ToArray();
        List<Candidate> Fresh() => pins.Select((p, i) =>
        {
            var dot = System.Numerics.Tensors.TensorPrimitives.Dot(vectors[i], query);
            return new Candidate(p, dot, dot, 0) { Vector = vectors[i], Score = dot };
        }).OrderByDescending(c => c.Score).Select((c, i) => { c.ModelRank = i; return c; }).ToList();

        var relevance = Fresh();
        var diverse = Fresh();
        Diversifier.Mmr(diverse, 0, diverse.Count, lambda: 0.5, depth: 10);

        var before = MeanPairwiseCosine(relevance.Take(10).ToList());
        var after = MeanPairwiseCosine(diverse.Take(10).ToList());
        var beforePairs = NearDuplicatePairs(relevance.Take(10).ToList());
        var afterPairs = NearDuplicatePairs(diverse.Take(10).ToList());
        Assert.True(after < before - 0.05 && afterPairs < beforePairs,
            $"top-10 mean cosine {after:F3} with MMR, {before:F3} without; near-duplicate pairs {afterPairs} vs {beforePairs}");
        Assert.Equal(relevance[0].Pin.Id, diverse[0].Pin.Id); // the best match still leads
    }

    [Fact]
    public async Task Search_PagesWhileEngagementChangesScores_NoDuplicatesNoGaps()
    {
        const string query = "usb flash drive";
        var first = await host.PlainRanking.SearchAsync(new SearchRequest { Query = query, PageSize = 20 }, cancellationToken: TestContext.Current.CancellationToken);
        var fresh = await TailHostFixture.AllPagesAsync(host.PlainRanking, query, 100);

        // Heavy engagement on the pins the first ranking put last: a fresh search now orders them differently.
        var tail = fresh.TakeLast(40).Select(r => r.Pin.Id).ToList();
        var engagement = new TrackEngagementRequest();
        foreach (var id in tail)
        {
            for (var k = 0; k < 5; k++)
            {
                engagement.Events.Add(new EngagementEvent { UserId = "shopper-" + k, PinId = id, Kind = EngagementKind.Purchase, Timestamp = Timestamp.FromDateTime(DateTime.UtcNow) });
            }
        }

        await host.PlainRanking.TrackEngagementAsync(engagement, cancellationToken: TestContext.Current.CancellationToken);
        var changed = false;
        for (var attempt = 0; attempt < 50 && !changed; attempt++)
        {
            var now = await TailHostFixture.AllPagesAsync(host.PlainRanking, query, 100);
            changed = !now.Select(r => r.Pin.Id).SequenceEqual(fresh.Select(r => r.Pin.Id));
            if (!changed)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        Assert.True(changed, "engagement never changed the ranking; the test would prove nothing");

        var collected = first.Results.ToList();
        var token = first.NextPageToken;
        while (token.Length > 0)
        {
            var page = await host.PlainRanking.SearchAsync(new SearchRequest { Query = query, PageSize = 20, PageToken = token }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(first.QueryId, page.QueryId);
            collected.AddRange(page.Results);
            token = page.NextPageToken;
        }

        Assert.Equal(collected.Count, collected.Select(r => r.Pin.Id).Distinct().Count());
        Assert.Equal(first.TotalCandidates, collected.Count);
        Assert.Equal(Enumerable.Range(1, collected.Count), collected.Select(r => r.Position));
        Assert.Equal(fresh.Select(r => r.Pin.Id).Order(), collected.Select(r => r.Pin.Id).Order());
    }

    [Fact]
    public async Task Search_TokenOfAnotherQuery_IsRejected()
    {
        var first = await host.PlainRanking.SearchAsync(new SearchRequest { Query = "toner", PageSize = 5 }, cancellationToken: TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await host.PlainRanking.SearchAsync(new SearchRequest { Query = "laptop", PageSize = 5, PageToken = first.NextPageToken }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task RelatedPins_AllPages_NeverTheSeedAndNoDuplicates()
    {
        var seed = host.Pins.First(p => p.Title.Contains("toner", StringComparison.OrdinalIgnoreCase));
        var all = new List<RankedPin>();
        var token = "";
        do
        {
            var page = await host.PlainRanking.RelatedPinsAsync(new RelatedPinsRequest { PinId = seed.Id, PageSize = 50, PageToken = token }, cancellationToken: TestContext.Current.CancellationToken);
            all.AddRange(page.Results);
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.True(all.Count >= 100, $"{all.Count} related pins");
        Assert.DoesNotContain(all, r => r.Pin.Id == seed.Id);
        Assert.Equal(all.Count, all.Select(r => r.Pin.Id).Distinct().Count());
        // Related pins of a toner are mostly toners.
        Assert.True(all.Take(10).Count(r => r.Pin.Title.Contains("toner", StringComparison.OrdinalIgnoreCase)) >= 5,
            string.Join(" | ", all.Take(10).Select(r => r.Pin.Title)));
    }

    private static double MeanPairwiseCosine(List<Candidate> top)
    {
        double sum = 0;
        var n = 0;
        for (var i = 0; i < top.Count; i++)
        {
            for (var j = i + 1; j < top.Count; j++)
            {
                sum += System.Numerics.Tensors.TensorPrimitives.Dot(top[i].Vector!, top[j].Vector!);
                n++;
            }
        }

        return sum / n;
    }

    private static int NearDuplicatePairs(List<Candidate> top)
    {
        var pairs = 0;
        for (var i = 0; i < top.Count; i++)
        {
            for (var j = i + 1; j < top.Count; j++)
            {
                if (System.Numerics.Tensors.TensorPrimitives.Dot(top[i].Vector!, top[j].Vector!) > 0.8)
                {
                    pairs++;
                }
            }
        }

        return pairs;
    }
}

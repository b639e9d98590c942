using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Pipeline;
using RankingSearchResponse = Recommender.Contracts.Ranking.V1.SearchResponse;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// The home feed: recommendations with no query. Candidates come from (1) pins like the ones the user/session
/// engaged with last (vector Recommend), (2) the same restricted to their top brands and categories, (3) the
/// tenant's popular pins; a brand-new user gets (3) alone, and a tenant without any engagement a sample spread over
/// its categories. The candidates then go through the same <see cref="RankingTail"/> as search (affinity, popularity
/// and CTR features, rules, diversity, paging).
/// </summary>
public sealed class HomeFeedBuilder(
    VectorService.VectorServiceClient vector,
    EngagementState state,
    RankingTail tail,
    IOptions<RankingOptions> options)
{
    /// <summary>Recent pins used as positive examples.</summary>
    public const int Seeds = 5;

    /// <summary>Top brands and categories used as filters.</summary>
    public const int Interests = 3;

    public const int PopularPins = 50;

    private readonly RankingOptions _options = options.Value;

    public async Task<RankingSearchResponse> BuildAsync(
        HomeFeedRequest request, string tenant, int pageSize, DateTime deadline, CancellationToken cancellationToken)
    {
        var userId = NullIfEmpty(request.UserId);
        var sessionId = NullIfEmpty(request.SessionId);
        var fingerprint = $"{tenant}|home|{userId}|{sessionId}";
        if (tail.Continue(request.PageToken, pageSize, fingerprint) is { } next)
        {
            // Later pages come from the list the first page ranked, so engagement in between cannot repeat or skip pins.
            return next;
        }

        var candidates = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        var callDeadline = Deadline(deadline);

        var seeds = state.RecentPins(tenant, userId, sessionId).Take(Seeds).ToList();
        if (seeds.Count > 0)
        {
            var similar = new RecommendRequest { Tenant = tenant, Limit = _options.CandidateCount, PositiveIds = { seeds } };
            Add(candidates, await vector.RecommendAsync(similar, deadline: callDeadline, cancellationToken: cancellationToken));

            var (brands, categories) = state.TopInterests(tenant, userId, sessionId, Interests);
            if (brands.Count + categories.Count > 0)
            {
                var interests = new Filter();
                if (brands.Count > 0)
                {
                    interests.Should.Add(new Condition { Keyword = new KeywordMatch { Field = "brand", Any = { brands } } });
                }

                if (categories.Count > 0)
                {
                    interests.Should.Add(new Condition { Keyword = new KeywordMatch { Field = "category", Any = { categories } } });
                }

                var liked = new RecommendRequest { Tenant = tenant, Limit = _options.CandidateCount / 2, PositiveIds = { seeds }, Filter = interests };
                Add(candidates, await vector.RecommendAsync(liked, deadline: callDeadline, cancellationToken: cancellationToken));
            }
        }

        var popular = state.PopularPins(tenant, PopularPins);
        if (popular.Count > 0)
        {
            var got = await vector.GetAsync(new GetRequest { Tenant = tenant, PinIds = { popular } }, deadline: callDeadline, cancellationToken: cancellationToken);
            foreach (var point in got.Points)
            {
                candidates.TryAdd(point.Pin.Id, new Candidate(point.Pin.ToPinData(tenant, point.Pin.Version), 0, 0, 0));
            }
        }

        if (candidates.Count < _options.CandidateCount)
        {
            // Too little engagement to fill a feed (a new tenant, or only a handful of popular pins): top up with a
            // sample spread over the catalog's categories.
            await AddSampleAsync(candidates, tenant, callDeadline, cancellationToken);
        }

        var offset = PageToken.Read(request.PageToken, fingerprint);
        var context = new SearchContext(tenant, [], null, userId, sessionId);
        return tail.Finish(context, candidates.Values.ToList(), offset, pageSize, fingerprint);
    }

    private static void Add(Dictionary<string, Candidate> candidates, Contracts.Vector.V1.SearchResponse found)
    {
        foreach (var r in found.Results)
        {
            if (candidates.TryGetValue(r.Pin.Id, out var existing) && existing.Fused >= r.Score)
            {
                continue;
            }

            candidates[r.Pin.Id] = new Candidate(r.Pin.ToPinData(r.Pin.Tenant, r.Pin.Version), r.Score, r.DenseScore, r.SparseScore);
        }
    }

    /// <summary>Cold start on a catalog nobody engaged with: up to CandidateCount pins taken round-robin over the
    /// top-level categories of the first page of the catalog, so the feed does not open on one category.</summary>
    private async Task AddSampleAsync(Dictionary<string, Candidate> candidates, string tenant, DateTime deadline, CancellationToken cancellationToken)
    {
        var page = await vector.ListPinsAsync(new ListPinsRequest { Tenant = tenant, PageSize = 1_000 }, deadline: deadline, cancellationToken: cancellationToken);
        var groups = page.Pins.GroupBy(p => p.CategoryPath.Count > 0 ? p.CategoryPath[0] : "", StringComparer.OrdinalIgnoreCase)
            .Select(g => new Queue<Contracts.Catalog.V1.Pin>(g))
            .ToList();
        while (candidates.Count < _options.CandidateCount && groups.Any(g => g.Count > 0))
        {
            foreach (var group in groups)
            {
                if (group.TryDequeue(out var pin) && candidates.Count < _options.CandidateCount)
                {
                    // The round-robin order is the retrieval score, so the ranker keeps the spread when nothing else differs.
                    candidates.TryAdd(pin.Id, new Candidate(pin.ToPinData(tenant, pin.Version), 1f / (1 + candidates.Count), 0, 0));
                }
            }
        }
    }

    private DateTime Deadline(DateTime callerDeadline)
    {
        var own = DateTime.UtcNow.AddMilliseconds(_options.VectorTimeoutMs);
        return callerDeadline < own ? callerDeadline : own;
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}

using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Pipeline;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ranking.Grpc;

/// <summary>The public API storefronts call. The tenant is the API key's.</summary>
[Authorize(Policy = Policies.Storefront)]
public sealed class RankingGrpcService(
    SearchPipeline pipeline, HomeFeedBuilder homeFeed, EngagementState engagement, IPublishEndpoint publish, IOptions<RankingOptions> options)
    : RankingService.RankingServiceBase
{
    private readonly RankingOptions _options = options.Value;

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        return pipeline.SearchAsync(request, TenantAccess.Resolve(context, request.Tenant), PageSize(request.PageSize), context.Deadline, context.CancellationToken);
    }

    public override Task<SearchResponse> RelatedPins(RelatedPinsRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        return pipeline.RelatedAsync(request, TenantAccess.Resolve(context, request.Tenant), PageSize(request.PageSize), context.Deadline, context.CancellationToken);
    }

    public override async Task<TrackEngagementResponse> TrackEngagement(TrackEngagementRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        var now = DateTimeOffset.UtcNow;
        var events = request.Events.Select(e => new PinEngaged(
            TenantAccess.Resolve(context, e.Tenant),
            NullIfEmpty(e.UserId),
            NullIfEmpty(e.SessionId),
            e.PinId,
            (EngagementType)(int)e.Kind,
            NullIfEmpty(e.QueryId),
            e.Position,
            e.Timestamp?.ToDateTimeOffset() ?? now,
            string.IsNullOrEmpty(e.IdempotencyKey) ? NewId.NextGuid().ToString("N") : e.IdempotencyKey)).ToList();
        await publish.PublishBatch(events, context.CancellationToken);
        return new TrackEngagementResponse { Accepted = events.Count };
    }

    public override Task<SearchResponse> HomeFeed(HomeFeedRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        return homeFeed.BuildAsync(request, TenantAccess.Resolve(context, request.Tenant), PageSize(request.PageSize), context.Deadline, context.CancellationToken);
    }

    [Authorize(Policy = Policies.Admin)]
    public override Task<EngagementStatsResponse> GetEngagementStats(EngagementStatsRequest request, ServerCallContext context)
    {
        var stats = engagement.StatsFor(TenantAccess.Resolve(context, request.Tenant));
        return Task.FromResult(new EngagementStatsResponse
        {
            EventsCounted = stats.EventsCounted,
            DuplicatesDropped = stats.DuplicatesDropped,
            PinsTracked = stats.PinsTracked,
            UsersTracked = stats.UsersTracked,
            SessionsTracked = stats.SessionsTracked,
        });
    }

    private int PageSize(int requested) => requested == 0 ? _options.DefaultPageSize : requested;

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}

using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Grpc;

/// <summary>The public API storefronts call.</summary>
public sealed class RankingGrpcService(SearchPipeline pipeline, IPublishEndpoint publish, IOptions<RankingOptions> options)
    : RankingService.RankingServiceBase
{
    private readonly RankingOptions _options = options.Value;

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        return pipeline.SearchAsync(request, Tenant(request.Tenant), PageSize(request.PageSize), context.Deadline, context.CancellationToken);
    }

    public override Task<SearchResponse> RelatedPins(RelatedPinsRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        return pipeline.RelatedAsync(request, Tenant(request.Tenant), PageSize(request.PageSize), context.Deadline, context.CancellationToken);
    }

    public override async Task<TrackEngagementResponse> TrackEngagement(TrackEngagementRequest request, ServerCallContext context)
    {
        RankingRequestValidator.Validate(request, _options);
        var now = DateTimeOffset.UtcNow;
        var events = request.Events.Select(e => new PinEngaged(
            Tenant(e.Tenant),
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

    private string Tenant(string requested) => string.IsNullOrEmpty(requested) ? _options.DefaultTenant : requested;

    private int PageSize(int requested) => requested == 0 ? _options.DefaultPageSize : requested;

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}

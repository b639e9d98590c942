using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Security;
using Recommender.Contracts;
using Recommender.ServiceDefaults.Grpc;
using Recommender.Vector.Storage;
using SparseVector = Recommender.Embeddings.SparseVector;

namespace Recommender.Vector.Grpc;

/// <summary>The internal vector API over whichever <see cref="IVectorStore"/> is configured. Service keys only.</summary>
[Authorize(Policy = Policies.Service)]
public sealed class VectorGrpcService(IVectorStore store, IOptions<VectorSearchOptions> options)
    : VectorService.VectorServiceBase
{
    private readonly VectorSearchOptions _options = options.Value;

    public override async Task<UpsertResponse> Upsert(UpsertRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request);
        foreach (var point in request.Points)
        {
            TenantAccess.Resolve(context, point.Pin.Tenant);
        }

        var points = request.Points.Select(p => new StoredPoint(
            Contracts.PinMapping.ToPinData(p.Pin, p.Pin.Tenant, p.Pin.Version),
            p.Dense.ToArray(),
            p.Sparse.ToSparse(),
            p.EmbedderVersion)).ToList();
        var result = await store.UpsertAsync(points, context.CancellationToken);
        return new UpsertResponse { Applied = result.Applied, Stale = result.Stale };
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request);
        TenantAccess.Resolve(context, request.Tenant);
        var version = request.Version > 0 ? request.Version : DateTimeOffset.UtcNow.UtcTicks;
        var deleted = await store.DeleteAsync(request.Tenant, request.PinIds, version, context.CancellationToken);
        return new DeleteResponse { Deleted = deleted };
    }

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request);
        TenantAccess.Resolve(context, request.Tenant);
        var points = await store.GetAsync(request.Tenant, request.PinIds, context.CancellationToken);
        var response = new GetResponse();
        response.Points.Add(points.Select(p => p.ToProto(request.WithVectors)));
        return response;
    }

    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request, _options);
        TenantAccess.Resolve(context, request.Tenant);
        var query = new HybridQuery(
            request.Tenant,
            request.Dense.Count > 0 ? request.Dense.ToArray() : null,
            request.Sparse is { Indices.Count: > 0 } ? request.Sparse.ToSparse() : SparseVector.Empty,
            request.Filter.ToFilter(),
            request.Limit,
            request.EmbedderVersion,
            request.WithVectors);
        var hits = await store.SearchAsync(query, context.CancellationToken);
        return hits.ToResponse(request.WithVectors);
    }

    public override async Task<SearchResponse> Recommend(RecommendRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request, _options);
        TenantAccess.Resolve(context, request.Tenant);
        var hits = await store.RecommendAsync(
            new RecommendQuery(request.Tenant, request.PositiveIds, request.NegativeIds, request.Filter.ToFilter(), request.Limit, request.WithVectors),
            context.CancellationToken);
        return hits.ToResponse(request.WithVectors);
    }

    public override async Task<CollectionInfo> GetCollectionInfo(CollectionInfoRequest request, ServerCallContext context)
    {
        TenantAccess.Resolve(context, request.Tenant);
        var stats = await store.GetStatsAsync(request.Tenant, context.CancellationToken);
        return new CollectionInfo
        {
            Count = stats.Count,
            Dimensions = stats.Dimensions,
            EmbedderVersion = stats.EmbedderVersion,
            Backend = stats.Backend,
        };
    }

    public override async Task<ListPinsResponse> ListPins(ListPinsRequest request, ServerCallContext context)
    {
        VectorRequestValidator.Validate(request);
        TenantAccess.Resolve(context, request.Tenant);
        if (store is not IPinLister lister)
        {
            throw ServiceRuleException.FailedPrecondition("This vector backend cannot list pins.");
        }

        var pageSize = request.PageSize == 0 ? VectorRequestValidator.DefaultListPageSize : request.PageSize;
        var afterId = VectorRequestValidator.ReadListToken(request.PageToken);
        var pins = await lister.ListAsync(request.Tenant, afterId, pageSize, context.CancellationToken);
        var response = new ListPinsResponse();
        response.Pins.Add(pins.Select(p => p.ToProto()));
        if (pins.Count == pageSize)
        {
            response.NextPageToken = VectorRequestValidator.CreateListToken(pins[^1].Id);
        }

        return response;
    }
}

using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;

namespace Recommender.Ranking.Intent;

/// <summary>Reads a tenant's pins from the vector service (paged ListPins) and learns its intent model from them.</summary>
public sealed class IntentModelBuilder(VectorService.VectorServiceClient vector, IOptions<IntentOptions> options)
{
    private readonly IntentOptions _options = options.Value;

    public async Task<long> CountAsync(string tenant, CancellationToken cancellationToken)
    {
        var info = await vector.GetCollectionInfoAsync(new CollectionInfoRequest { Tenant = tenant }, cancellationToken: cancellationToken);
        return info.Count;
    }

    public async Task<IntentModel> BuildAsync(string tenant, CancellationToken cancellationToken)
    {
        var pins = new List<PinData>();
        var token = "";
        do
        {
            var page = await vector.ListPinsAsync(
                new ListPinsRequest { Tenant = tenant, PageSize = _options.ListPageSize, PageToken = token },
                cancellationToken: cancellationToken);
            pins.AddRange(page.Pins.Select(p => p.ToPinData(tenant, p.Version)));
            token = page.NextPageToken;
        }
        while (token.Length > 0 && pins.Count < _options.MaxPins);

        // Training is CPU-bound: keep it off the caller's thread.
        return await Task.Run(() => IntentModel.Build(pins, _options.CategoryThreshold, _options.MaxClassifierRows), cancellationToken);
    }
}

using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Ingestion.Pipeline;
using Recommender.ServiceDefaults.Grpc;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ingestion.Grpc;

/// <summary>The public catalog API. Validates at the edge; a batch with any invalid pin is refused whole with
/// every violation listed, so the caller can fix and resend it. Admin keys only; the tenant is the key's.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class IngestionGrpcService(PinPublisher publisher, IOptions<IngestionOptions> options) : IngestionService.IngestionServiceBase
{
    private readonly IngestionOptions _options = options.Value;

    public override async Task<UpsertPinsResponse> UpsertPins(UpsertPinsRequest request, ServerCallContext context)
    {
        var pins = ValidateAndMap(request, context);
        var batchIds = await publisher.PublishAsync(pins, context.CancellationToken);
        var response = new UpsertPinsResponse { Accepted = pins.Count };
        response.BatchIds.Add(batchIds.Select(b => b.ToString()));
        return response;
    }

    public override async Task<UpsertPinsResponse> StreamPins(IAsyncStreamReader<UpsertPinsRequest> requestStream, ServerCallContext context)
    {
        var response = new UpsertPinsResponse();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var pins = ValidateAndMap(request, context);
            var batchIds = await publisher.PublishAsync(pins, context.CancellationToken);
            response.Accepted += pins.Count;
            response.BatchIds.Add(batchIds.Select(b => b.ToString()));
        }

        return response;
    }

    public override async Task<DeletePinsResponse> DeletePins(DeletePinsRequest request, ServerCallContext context)
    {
        var v = new Violations();
        var tenant = TenantAccess.Resolve(context, request.Tenant);
        if (request.PinIds.Count == 0)
        {
            v.Add("pin_ids", "Name at least one pin.");
        }
        else if (request.PinIds.Count > _options.MaxPinsPerRequest)
        {
            v.Add("pin_ids", $"At most {_options.MaxPinsPerRequest} ids per call.");
        }

        for (var i = 0; i < request.PinIds.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(request.PinIds[i]))
            {
                v.Add($"pin_ids[{i}]", "Must not be empty.");
            }
        }

        v.ThrowIfAny();
        await publisher.PublishDeleteAsync(tenant, request.PinIds, context.CancellationToken);
        return new DeletePinsResponse { Accepted = request.PinIds.Count };
    }

    private List<PinData> ValidateAndMap(UpsertPinsRequest request, ServerCallContext context)
    {
        var v = new Violations();
        var tenant = TenantAccess.Resolve(context, request.Tenant);
        if (request.Pins.Count == 0)
        {
            v.Add("pins", "Send at least one pin.");
        }
        else if (request.Pins.Count > _options.MaxPinsPerRequest)
        {
            v.Add("pins", $"At most {_options.MaxPinsPerRequest} pins per request; got {request.Pins.Count}. Split the batch or use StreamPins.");
        }

        v.ThrowIfAny();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Pins.Count; i++)
        {
            var pin = request.Pins[i];
            PinValidator.Validate(pin, $"pins[{i}]", v);
            if (pin.Tenant.Length > 0 && pin.Tenant != tenant)
            {
                v.Add($"pins[{i}].tenant", $"'{FieldViolation.Echo(pin.Tenant)}' differs from the request's tenant '{tenant}'.");
            }

            if (pin.Id.Length > 0 && !seen.Add(pin.Id))
            {
                v.Add($"pins[{i}].id", $"'{FieldViolation.Echo(pin.Id)}' appears twice in the batch.");
            }
        }

        v.ThrowIfAny();
        return request.Pins.Select(p => p.ToPinData(tenant, p.Version > 0 ? p.Version : VersionClock.Next())).ToList();
    }

}

using System.IO.Pipelines;
using System.Text.RegularExpressions;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Ingestion.Import;
using Recommender.Ingestion.Pipeline;
using Recommender.ServiceDefaults.Grpc;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ingestion.Grpc;

/// <summary>The public catalog API. Validates at the edge; a batch with any invalid pin is refused whole with
/// every violation listed, so the caller can fix and resend it. Admin keys only; the tenant is the key's.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed partial class IngestionGrpcService(
    PinPublisher publisher,
    CatalogImporter importer,
    ImportJobRegistry jobs,
    IOptions<IngestionOptions> options) : IngestionService.IngestionServiceBase
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
        var session = publisher.StartSession();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var pins = ValidateAndMap(request, context);
            await session.AddAsync(pins, context.CancellationToken);
            response.Accepted += pins.Count;
        }

        await session.CompleteAsync();
        response.BatchIds.Add(session.BatchIds.Select(b => b.ToString()));
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

    public override async Task<IngestStatus> ImportCatalog(IAsyncStreamReader<ImportCatalogRequest> requestStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.PartCase != ImportCatalogRequest.PartOneofCase.Header)
        {
            throw new RequestValidationException([new FieldViolation("header", "The first message must carry the import header.")]);
        }

        var header = requestStream.Current.Header;
        var v = new Violations();
        var tenant = TenantAccess.Resolve(context, header.Tenant);
        var jobId = header.JobId.Length > 0 ? header.JobId : Guid.NewGuid().ToString("N");
        if (!JobIdRegex().IsMatch(jobId))
        {
            v.Add("header.job_id", "Use 1-64 characters of letters, digits, _ and -.");
        }

        v.ThrowIfAny();
        if (!jobs.TryStart(jobId, tenant, out var job))
        {
            throw ServiceRuleException.FailedPrecondition($"An import with job id '{jobId}' already exists.");
        }

        // The upload is written into a pipe that the importer reads; the pipe's pause threshold and the importer's
        // bounded channel hold the client back when ingestion is slower than the upload.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var importing = Task.Run(() => importer.RunAsync(pipe.Reader.AsStream(), header.Format, header.FileName, job, cancellationToken), cancellationToken);
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                var part = requestStream.Current;
                if (part.PartCase != ImportCatalogRequest.PartOneofCase.Data)
                {
                    throw new RequestValidationException([new FieldViolation("header", "Only the first message may carry a header.")]);
                }

                job.AddBytes(part.Data.Length);
                var flushed = await pipe.Writer.WriteAsync(part.Data.Memory, cancellationToken);
                if (flushed.IsCompleted)
                {
                    break; // the importer stopped reading (it failed); its status says why
                }
            }

            await pipe.Writer.CompleteAsync();
        }
        catch (Exception ex)
        {
            await pipe.Writer.CompleteAsync(ex);
            await importing;
            throw;
        }

        await importing;
        return job.Snapshot();
    }

    public override Task<IngestStatus> GetIngestStatus(GetIngestStatusRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.JobId))
        {
            throw new RequestValidationException([new FieldViolation("job_id", "Name the import job.")]);
        }

        var tenant = TenantAccess.Resolve(context, "");
        var job = jobs.Find(request.JobId) is { } found && found.Tenant == tenant
            ? found
            : throw ServiceRuleException.NotFound($"No import job '{FieldViolation.Echo(request.JobId)}'.");
        return Task.FromResult(job.Snapshot());
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex JobIdRegex();

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

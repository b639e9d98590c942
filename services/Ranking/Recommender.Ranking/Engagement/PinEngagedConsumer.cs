using MassTransit;
using Microsoft.Extensions.Logging;
using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.ServiceDefaults.Messaging;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// Counts each engagement event exactly once on this replica: reserve the idempotency key (a repeat is dropped),
/// look up the pin's brand/category/price (known pins need no call), append the event to the log and wait for the
/// fsync, then apply it to the state. The message is acknowledged after Consume returns, so a crash before the
/// fsync means a redelivery that counts it; a crash after means a redelivery the replayed dedupe set drops.
/// </summary>
public sealed partial class PinEngagedConsumer(
    EngagementState state,
    EngagementRecorder recorder,
    VectorService.VectorServiceClient vector,
    ILogger<PinEngagedConsumer> logger) : IConsumer<PinEngaged>
{
    public const int MaxIdLength = 256;

    public async Task Consume(ConsumeContext<PinEngaged> context)
    {
        var e = context.Message;
        Validate(e);
        await state.Ready.WaitAsync(context.CancellationToken);
        if (!state.TryReserve(e.Tenant, e.IdempotencyKey))
        {
            return;
        }

        EngagementRecord record;
        try
        {
            var attributes = state.KnownAttributes(e.Tenant, e.PinId) ?? await LookUpAsync(e.Tenant, e.PinId, context.CancellationToken);
            var now = DateTimeOffset.UtcNow;
            record = new EngagementRecord
            {
                Type = EngagementRecord.EngagementType,
                Tenant = e.Tenant,
                UserId = e.UserId,
                SessionId = e.SessionId,
                PinId = e.PinId,
                Kind = EngagementRecord.KindName(e.Kind),
                QueryId = e.QueryId,
                Position = e.Position,
                // A clock ahead of ours or a missing timestamp is counted as now.
                Timestamp = e.Timestamp == default || e.Timestamp > now ? now : e.Timestamp,
                LoggedAt = now,
                IdempotencyKey = e.IdempotencyKey,
                Brand = attributes?.Brand,
                Category = attributes?.CategoryPath,
                Price = attributes?.Price,
            };
            await recorder.AppendAsync(record);
        }
        catch
        {
            state.Release(e.Tenant, e.IdempotencyKey);
            throw;
        }

        state.Apply(record);
    }

    /// <summary>A message that can never be counted goes to the _error queue with the reason, without retries.</summary>
    public static void Validate(PinEngaged? e)
    {
        if (e is null)
        {
            throw new PoisonMessageException("PinEngaged: the message is empty.");
        }

        Require(e.Tenant, "tenant");
        Require(e.PinId, "pinId");
        Require(e.IdempotencyKey, "idempotencyKey");
        if (!Enum.IsDefined(e.Kind))
        {
            throw new PoisonMessageException($"PinEngaged: kind {(int)e.Kind} is not impression, click, save, addToCart or purchase.");
        }

        if (e.Position < 0)
        {
            throw new PoisonMessageException("PinEngaged: position must not be negative.");
        }

        if (e.UserId is { Length: > MaxIdLength } || e.SessionId is { Length: > MaxIdLength } || e.QueryId is { Length: > MaxIdLength })
        {
            throw new PoisonMessageException($"PinEngaged: userId, sessionId and queryId are at most {MaxIdLength} characters.");
        }

        static void Require(string? value, string field)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new PoisonMessageException($"PinEngaged: {field} is required.");
            }

            if (value.Length > MaxIdLength)
            {
                throw new PoisonMessageException($"PinEngaged: {field} is longer than {MaxIdLength} characters.");
            }
        }
    }

    private async Task<PinAttributes?> LookUpAsync(string tenant, string pinId, CancellationToken cancellationToken)
    {
        try
        {
            var got = await vector.GetAsync(
                new GetRequest { Tenant = tenant, PinIds = { pinId } }, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
            return got.Points.Count == 0
                ? null
                : new PinAttributes(got.Points[0].Pin.Brand, got.Points[0].Pin.CategoryPath.ToArray(), got.Points[0].Pin.HasPrice ? got.Points[0].Pin.Price : null);
        }
        catch (global::Grpc.Core.RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Popularity still counts; only this event's affinity is lost. Better than parking engagement in _error
            // whenever the vector service is briefly away.
            LogLookupFailed(logger, tenant, pinId, ex.StatusCode);
            return null;
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "Engagement for {Tenant}/{PinId}: the pin's brand and category could not be looked up ({Status}); counted without affinity")]
    private static partial void LogLookupFailed(ILogger logger, string tenant, string pinId, global::Grpc.Core.StatusCode status);
}

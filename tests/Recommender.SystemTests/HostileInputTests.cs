using System.Diagnostics;
using Grpc.Core;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>
/// 10,000 generated malformed requests (random bytes on the wire, and well-formed messages with hostile values)
/// against the running services, interleaved with valid pins: no crash, no hang, every rejection a clear status,
/// and the valid data intact.
/// </summary>
public sealed class HostileInputTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    private const string Tenant = "fuzz";

    /// <summary>Statuses that are clear answers to bad input. INTERNAL, UNKNOWN and DEADLINE_EXCEEDED are not.</summary>
    private static readonly HashSet<StatusCode> ClearRejections =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition,
        StatusCode.OutOfRange, StatusCode.PermissionDenied, StatusCode.ResourceExhausted, StatusCode.Unimplemented,
    ];

    [Fact]
    public async Task Services_TenThousandMalformedRequests_NoCrashNoHangClearErrorsValidDataIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(20261122);
        var storefront = system.Authorized(system.Ranking, system.FuzzKeys.Storefront);
        var admin = system.Authorized(system.Ingestion, system.FuzzKeys.Admin);
        var ranking = new RankingService.RankingServiceClient(storefront);
        var ingestion = new IngestionService.IngestionServiceClient(admin);
        var raw = new[]
        {
            (storefront, "/recommender.ranking.v1.RankingService/Search"),
            (storefront, "/recommender.ranking.v1.RankingService/RelatedPins"),
            (storefront, "/recommender.ranking.v1.RankingService/TrackEngagement"),
            (admin, "/recommender.ingestion.v1.IngestionService/UpsertPins"),
            (admin, "/recommender.ingestion.v1.IngestionService/DeletePins"),
        };

        var valid = SampleCatalog.Read(500);
        var statuses = new Dictionary<StatusCode, int>();
        var unclear = new List<string>();
        var slowest = TimeSpan.Zero;
        var sent = 0;
        var retried = 0;
        for (var i = 0; i < 10_000; i++)
        {
            if (i % 20 == 0 && i / 20 < valid.Count / 25)
            {
                // Valid traffic alongside: 25 pins every 20 hostile requests.
                var batch = new UpsertPinsRequest { Pins = { valid.Skip(i / 20 * 25).Take(25) } };
                await ingestion.UpsertPinsAsync(batch, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            }

            var watch = Stopwatch.StartNew();
            var (name, call) = i % 2 == 0
                ? RawCall(raw[random.Next(raw.Length)], RandomBytes(random))
                : HostileCall(random, ranking, ingestion);
            var code = await StatusOf(call, TimeSpan.FromSeconds(5), ct);
            if (code == StatusCode.DeadlineExceeded)
            {
                // Slow under load, or hung? A hung request stays hung when sent again with a long deadline.
                retried++;
                code = await StatusOf(call, TimeSpan.FromSeconds(60), ct);
            }

            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            statuses[code] = statuses.GetValueOrDefault(code) + 1;
            if (!ClearRejections.Contains(code))
            {
                unclear.Add($"{name}: {code}");
            }

            sent++;
        }

        TestContext.Current.SendDiagnosticMessage($"{sent} hostile requests ({retried} re-sent after a 5 s deadline); slowest {slowest.TotalMilliseconds:F0} ms; " +
            string.Join(", ", statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Key}={s.Value}")));
        Assert.Equal(10_000, sent);
        Assert.True(unclear.Count == 0, $"{unclear.Count} unclear: " + string.Join("\n", unclear.GroupBy(u => u.Length > 160 ? u[..160] : u).Select(g => $"{g.Count()} x {g.Key}").Take(20)));
        Assert.False(system.Ranking.HasExited || system.Ingestion.HasExited || system.Vector.HasExited);
        Assert.True(statuses.GetValueOrDefault(StatusCode.InvalidArgument) > 3_000, "most hostile input should be rejected as invalid");

        await system.WaitForCountAsync(Tenant, valid.Count, TimeSpan.FromSeconds(60));
        var stored = await system.VectorClient.GetAsync(
            new Contracts.Vector.V1.GetRequest { Tenant = Tenant, PinIds = { valid.Select(p => p.Id) } }, cancellationToken: ct);
        Assert.Equal(valid.Select(p => (p.Id, p.Title, p.Price)), stored.Points.Select(p => (p.Pin.Id, p.Pin.Title, p.Pin.Price)));
    }

    private static async Task<StatusCode> StatusOf(Func<CallOptions, Task> call, TimeSpan deadline, CancellationToken ct)
    {
        try
        {
            await call(new CallOptions(deadline: DateTime.UtcNow.Add(deadline), cancellationToken: ct));
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private static (string, Func<CallOptions, Task>) RawCall((CallInvoker Invoker, string Path) target, byte[] body)
    {
        var bytes = Marshallers.Create(b => b, b => b);
        var parts = target.Path.Split('/');
        var method = new Method<byte[], byte[]>(MethodType.Unary, parts[1], parts[2], bytes, bytes);
        return ($"{target.Path} ({body.Length} random bytes)", options => target.Invoker.AsyncUnaryCall(method, null, options, body).ResponseAsync);
    }

    private static (string, Func<CallOptions, Task>) HostileCall(
        Random random, RankingService.RankingServiceClient ranking, IngestionService.IngestionServiceClient ingestion)
    {
        switch (random.Next(5))
        {
            case 0:
                var search = new SearchRequest
                {
                    Query = HostileString(random),
                    PageSize = HostileInt(random),
                    PageToken = HostileString(random),
                    Filters = new SearchFilters
                    {
                        PriceMin = HostileDouble(random),
                        PriceMax = HostileDouble(random),
                        Brands = { HostileString(random) },
                        ExcludeBrands = { HostileString(random) },
                        Categories = { HostileString(random) },
                    },
                };
                return ($"Search query of {search.Query.Length} chars", o => ranking.SearchAsync(search, o).ResponseAsync);
            case 1:
                var related = new RelatedPinsRequest { PinId = HostileString(random), PageSize = HostileInt(random), PageToken = HostileString(random) };
                return ($"RelatedPins id of {related.PinId.Length} chars", o => ranking.RelatedPinsAsync(related, o).ResponseAsync);
            case 2:
                var track = new TrackEngagementRequest
                {
                    Events = { new EngagementEvent { PinId = HostileString(random), Kind = (EngagementKind)random.Next(-3, 9), Position = HostileInt(random), IdempotencyKey = HostileString(random) } },
                };
                return ("TrackEngagement", o => ranking.TrackEngagementAsync(track, o).ResponseAsync);
            case 3:
                var upsert = new UpsertPinsRequest { Pins = { HostilePin(random) } };
                return ("UpsertPins", o => ingestion.UpsertPinsAsync(upsert, o).ResponseAsync);
            default:
                var delete = new DeletePinsRequest { PinIds = { HostileString(random), "" } };
                return ("DeletePins", o => ingestion.DeletePinsAsync(delete, o).ResponseAsync);
        }
    }

    private static Pin HostilePin(Random random)
    {
        var pin = new Pin
        {
            Id = HostileString(random),
            Title = HostileString(random),
            Description = HostileString(random),
            Brand = HostileString(random),
            Price = HostileDouble(random),
            Currency = HostileString(random),
            ImageUrl = random.Next(2) == 0 ? "javascript:alert(1)" : HostileString(random),
            Link = HostileString(random),
            Version = random.Next(3) == 0 ? -1 : random.NextInt64(),
        };
        pin.CategoryPath.Add(Enumerable.Range(0, random.Next(15)).Select(_ => HostileString(random)));
        pin.Attributes[HostileString(random)] = HostileString(random);
        return pin;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2_000)];
        random.NextBytes(bytes);
        if (random.Next(3) == 0 && bytes.Length > 2)
        {
            // A valid-looking tag with an absurd length prefix.
            bytes[0] = 0x12;
            bytes[1] = 0xFF;
        }

        return bytes;
    }

    private static string HostileString(Random random) => random.Next(9) switch
    {
        0 => "",
        1 => new string('x', random.Next(500, 30_000)),
        2 => "\0\u0001\uFFFF\uD800",
        3 => "' OR 1=1; -- <script>alert(1)</script>",
        4 => "under $-5 between 9e999 and -1 not not not $$$",
        5 => string.Concat(Enumerable.Repeat("((((", 200)),
        6 => "%00%ff../../etc/passwd",
        7 => new string(Enumerable.Range(0, random.Next(1, 60)).Select(_ => (char)random.Next(1, 0xD7FF)).ToArray()),
        _ => "usb cable " + random.Next(),
    };

    private static int HostileInt(Random random) => random.Next(5) switch
    {
        0 => int.MinValue,
        1 => int.MaxValue,
        2 => -1,
        3 => 0,
        _ => random.Next(1, 1_000),
    };

    private static double HostileDouble(Random random) => random.Next(6) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => -1,
        3 => double.MaxValue,
        4 => 0,
        _ => random.NextDouble() * 100,
    };
}

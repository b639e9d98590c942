using Grpc.Core;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ingestion.V1;

namespace Recommender.SystemTests.Infrastructure;

/// <summary>How a well-behaved client loads a catalog: batches, a deadline per call, and retries on failure.</summary>
public static class Ingest
{
    public static List<Pin> Variants(int count)
    {
        var sample = SampleCatalog.Read(3000);
        return Enumerable.Range(0, count).Select(i =>
        {
            var pin = sample[i % sample.Count].Clone();
            pin.Id = $"{pin.Id}-v{i / sample.Count}";
            return pin;
        }).ToList();
    }

    public static async Task<int> UpsertAllAsync(
        IngestionService.IngestionServiceClient client, string tenant, IReadOnlyList<Pin> pins, int batch,
        Action<int>? progress, CancellationToken cancellationToken)
    {
        var accepted = 0;
        foreach (var chunk in pins.Chunk(batch))
        {
            var request = new UpsertPinsRequest { Tenant = tenant };
            request.Pins.Add(chunk);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var response = await client.UpsertPinsAsync(request, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: cancellationToken);
                    accepted += response.Accepted;
                    progress?.Invoke(accepted);
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode is not StatusCode.InvalidArgument && attempt < 60)
                {
                    await Task.Delay(500, cancellationToken);
                }
            }
        }

        return accepted;
    }
}

using Google.Rpc;
using Grpc.Core;

namespace Recommender.SystemTests.Infrastructure;

public static class GrpcErrors
{
    /// <summary>The field paths of the google.rpc.BadRequest detail an INVALID_ARGUMENT carries.</summary>
    public static IReadOnlyList<string> ViolatedFields(this RpcException ex)
    {
        var bytes = ex.Trailers.GetValueBytes("grpc-status-details-bin")
            ?? throw new InvalidOperationException($"No error details on {ex.Status}.");
        var status = Google.Rpc.Status.Parser.ParseFrom(bytes);
        return status.Details
            .Where(d => d.Is(BadRequest.Descriptor))
            .SelectMany(d => d.Unpack<BadRequest>().FieldViolations.Select(v => v.Field))
            .ToList();
    }
}

using Grpc.Core;

namespace Recommender.ServiceDefaults.Grpc;

/// <summary>
/// A request that is well formed but cannot be served as asked (an unknown pin, a model version mismatch).
/// Carries the gRPC status the caller should see.
/// </summary>
public sealed class ServiceRuleException(StatusCode code, string message) : Exception(message)
{
    public StatusCode Code { get; } = code;

    public static ServiceRuleException NotFound(string message) => new(StatusCode.NotFound, message);

    public static ServiceRuleException FailedPrecondition(string message) => new(StatusCode.FailedPrecondition, message);
}

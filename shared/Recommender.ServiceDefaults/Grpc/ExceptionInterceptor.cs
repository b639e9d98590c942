using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Recommender.ServiceDefaults.Grpc;

/// <summary>
/// The one place that turns exceptions into gRPC statuses: validation failures become INVALID_ARGUMENT with a
/// google.rpc.BadRequest detail, cancellations CANCELLED, domain rule breaks their own status, anything else
/// INTERNAL (logged once, with no internals leaked to the caller).
/// </summary>
public sealed partial class ExceptionInterceptor(ILogger<ExceptionInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    private RpcException Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case RequestValidationException validation:
                LogInvalidRequest(logger, context.Method, validation.Message);
                return ToRpcException(StatusCode.InvalidArgument, validation.Message, BadRequestOf(validation));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new global::Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled."));
            case ServiceRuleException rule:
                var message = rule.Message.Length <= 500 ? rule.Message : rule.Message[..500] + "...";
                LogRuleBroken(logger, context.Method, rule.Code, message);
                return new RpcException(new global::Grpc.Core.Status(rule.Code, message));
            default:
                LogUnhandled(logger, ex, context.Method);
                return new RpcException(new global::Grpc.Core.Status(StatusCode.Internal, "An internal error occurred."));
        }
    }

    private static BadRequest BadRequestOf(RequestValidationException validation)
    {
        var badRequest = new BadRequest();
        foreach (var v in validation.Violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
        }

        return badRequest;
    }

    /// <summary>Builds an RpcException that carries google.rpc.Status with details in grpc-status-details-bin.</summary>
    public static RpcException ToRpcException(StatusCode code, string message, IMessage detail)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(detail));
        var trailers = new Metadata { { "grpc-status-details-bin", status.ToByteArray() } };
        return new RpcException(new global::Grpc.Core.Status(code, message), trailers);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Rejected {Method}: {Reason}")]
    private static partial void LogInvalidRequest(ILogger logger, string method, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "{Method} refused with {Code}: {Reason}")]
    private static partial void LogRuleBroken(ILogger logger, string method, StatusCode code, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Unhandled error in {Method}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method);
}

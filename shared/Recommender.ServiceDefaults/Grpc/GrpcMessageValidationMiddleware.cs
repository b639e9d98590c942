using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;

namespace Recommender.ServiceDefaults.Grpc;

/// <summary>
/// Answers a gRPC request whose body is not a valid message of the method's request type with INVALID_ARGUMENT.
/// grpc-dotnet decodes requests before any interceptor runs and reports a decoding failure as UNKNOWN; this checks
/// uncompressed unary and client-streaming frames first (bounded by the server's message size limit) so that
/// garbage on the wire gets a clear answer.
/// </summary>
public sealed class GrpcMessageValidationMiddleware(RequestDelegate next)
{
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var descriptor = InputTypeOf(context);
        if (descriptor is null || context.Request.ContentLength is > MaxBodyBytes)
        {
            await next(context);
            return;
        }

        context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        context.Request.Body.Position = 0;
        if (Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), descriptor) is { } problem)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "3";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString($"The request is not a valid {descriptor.FullName}: {problem}");
            return;
        }

        await next(context);
    }

    private static MessageDescriptor? InputTypeOf(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true
            || context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc
            || grpc.Method.Type is not (global::Grpc.Core.MethodType.Unary or global::Grpc.Core.MethodType.ClientStreaming))
        {
            return null;
        }

        // Generated service bases are nested in a static class that exposes the service descriptor.
        var service = grpc.ServiceType;
        while (service is not null && service.DeclaringType?.GetProperty("Descriptor")?.GetValue(null) is not ServiceDescriptor)
        {
            service = service.BaseType;
        }

        var descriptor = service?.DeclaringType?.GetProperty("Descriptor")?.GetValue(null) as ServiceDescriptor;
        return descriptor?.FindMethodByName(grpc.Method.Name)?.InputType;
    }

    private static string? Check(ReadOnlySpan<byte> body, MessageDescriptor descriptor)
    {
        while (body.Length > 0)
        {
            if (body.Length < 5)
            {
                return "a truncated gRPC frame header";
            }

            var compressed = body[0] != 0;
            var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..5]);
            if (length > (uint)(body.Length - 5))
            {
                return $"a frame announces {length} bytes but {body.Length - 5} follow";
            }

            if (!compressed)
            {
                try
                {
                    descriptor.Parser.ParseFrom(body.Slice(5, (int)length));
                }
                catch (InvalidProtocolBufferException ex)
                {
                    return ex.Message;
                }
            }

            body = body[(5 + (int)length)..];
        }

        return null;
    }
}

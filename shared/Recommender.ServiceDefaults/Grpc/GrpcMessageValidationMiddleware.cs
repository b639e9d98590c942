using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;

namespace Recommender.ServiceDefaults.Grpc;

/// <summary>
/// Answers a gRPC request whose body is not a valid message of the method's request type with INVALID_ARGUMENT.
/// grpc-dotnet decodes requests before any interceptor runs and reports a decoding failure as UNKNOWN; this checks
/// uncompressed unary and client-streaming frames first (bounded by the server's message size limit) so that
/// garbage on the wire gets a clear answer. A body of at most <see cref="PeekBytes"/> is checked where it lies in the
/// request pipe, unconsumed, so grpc-dotnet then reads it from there (no copy); a larger one is buffered. The request
/// type of each method is looked up once.
/// </summary>
public sealed class GrpcMessageValidationMiddleware(RequestDelegate next)
{
    /// <summary>Bodies up to this size are checked in the pipe (well under HTTP/2's initial stream window, so the client
    /// can send all of it while nothing is consumed).</summary>
    internal const int PeekBytes = 64 * 1024;

    private const int MaxBodyBytes = 16 * 1024 * 1024;

    private static readonly ConcurrentDictionary<GrpcMethodMetadata, MessageDescriptor?> RequestTypes = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var descriptor = InputTypeOf(context);
        if (descriptor is null || context.Request.ContentLength is > MaxBodyBytes)
        {
            await next(context);
            return;
        }

        var (problem, checkedInPipe) = await PeekAsync(context, descriptor);
        if (!checkedInPipe)
        {
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            context.Request.Body.Position = 0;
            problem = Check(new ReadOnlySequence<byte>(buffer.GetBuffer(), 0, (int)buffer.Length), descriptor);
        }

        if (problem is not null)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "3";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString($"The request is not a valid {descriptor.FullName}: {problem}");
            return;
        }

        await next(context);
    }

    /// <summary>Reads the body into the request pipe without consuming it. When all of it arrived within
    /// <see cref="PeekBytes"/>, checks it there (true); otherwise leaves it for the buffered check (false). Either way
    /// the pipe is left at the body's first byte.</summary>
    private static async Task<(string? Problem, bool Checked)> PeekAsync(HttpContext context, MessageDescriptor descriptor)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var body = read.Buffer;
            if (read.IsCompleted || read.IsCanceled || body.Length > PeekBytes)
            {
                var done = read.IsCompleted && body.Length <= PeekBytes;
                var problem = done ? Check(body, descriptor) : null;
                reader.AdvanceTo(body.Start);
                return (problem, done);
            }

            // Nothing consumed, everything examined: the next read waits for more of the body.
            reader.AdvanceTo(body.Start, body.End);
        }
    }

    private static MessageDescriptor? InputTypeOf(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true
            || context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc
            || grpc.Method.Type is not (global::Grpc.Core.MethodType.Unary or global::Grpc.Core.MethodType.ClientStreaming))
        {
            return null;
        }

        return RequestTypes.GetOrAdd(grpc, RequestTypeOf);
    }

    private static MessageDescriptor? RequestTypeOf(GrpcMethodMetadata grpc)
    {
        // Generated service bases are nested in a static class that exposes the service descriptor.
        var service = grpc.ServiceType;
        while (service is not null && service.DeclaringType?.GetProperty("Descriptor")?.GetValue(null) is not ServiceDescriptor)
        {
            service = service.BaseType;
        }

        var descriptor = service?.DeclaringType?.GetProperty("Descriptor")?.GetValue(null) as ServiceDescriptor;
        return descriptor?.FindMethodByName(grpc.Method.Name)?.InputType;
    }

    private static string? Check(ReadOnlySequence<byte> body, MessageDescriptor descriptor)
    {
        Span<byte> header = stackalloc byte[5];
        while (body.Length > 0)
        {
            if (body.Length < 5)
            {
                return "a truncated gRPC frame header";
            }

            body.Slice(0, 5).CopyTo(header);
            var compressed = header[0] != 0;
            var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
            if (length > (ulong)(body.Length - 5))
            {
                return $"a frame announces {length} bytes but {body.Length - 5} follow";
            }

            if (!compressed)
            {
                try
                {
                    descriptor.Parser.ParseFrom(body.Slice(5, length));
                }
                catch (InvalidProtocolBufferException ex)
                {
                    return ex.Message;
                }
            }

            body = body.Slice(5 + length);
        }

        return null;
    }
}

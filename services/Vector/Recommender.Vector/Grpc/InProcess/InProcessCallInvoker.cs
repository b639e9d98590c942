using System.Security.Claims;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Recommender.Vector.Grpc.InProcess;

/// <summary>
/// A <see cref="CallInvoker"/> that runs unary calls of a generated gRPC client straight on a service implementation
/// in the same process: no HTTP/2, no serialization. The call still goes through the server's configured
/// interceptors (the <c>ExceptionInterceptor</c> that maps validation failures to INVALID_ARGUMENT and rule breaks to
/// their status), and the service sees a call context with the caller's principal, deadline and cancellation, so
/// callers get the same results and the same <see cref="RpcException"/>s as over the wire.
/// </summary>
/// <remarks>
/// Request and response messages are passed by reference, not copied: the caller must not change a request while
/// its call runs, and the service must not keep it; responses are read-only (the vector service shares each stored
/// pin version's message between responses, <see cref="Recommender.Contracts.SharedPin"/>). The service instance is
/// created once (its dependencies must be singletons, as the vector service's are). Streaming calls are not supported
/// (UNIMPLEMENTED).
/// </remarks>
public sealed class InProcessCallInvoker : CallInvoker
{
    private readonly Dictionary<string, object> _unary = new(StringComparer.Ordinal);
    private readonly ClaimsPrincipal _caller;
    private readonly IServiceProvider _services;

    private InProcessCallInvoker(IServiceProvider services, ClaimsPrincipal caller)
    {
        _services = services;
        _caller = caller;
    }

    /// <summary>Binds <typeparamref name="TService"/> (created from <paramref name="services"/>) with the generated
    /// <c>BindService(binder, impl)</c> and wraps each method in the gRPC server's global and per-service
    /// interceptors, outermost first, as Grpc.AspNetCore runs them.</summary>
    public static InProcessCallInvoker Create<TService>(
        IServiceProvider services, Action<ServiceBinderBase, TService> bind, ClaimsPrincipal caller)
        where TService : class
    {
        var invoker = new InProcessCallInvoker(services, caller);
        var interceptors = new List<Interceptor>();
        foreach (var registration in services.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.Interceptors
                     .Concat(services.GetRequiredService<IOptions<GrpcServiceOptions<TService>>>().Value.Interceptors))
        {
            interceptors.Add((Interceptor)ActivatorUtilities.CreateInstance(services, registration.Type, registration.Arguments.ToArray()));
        }

        bind(new Binder(invoker, interceptors), ActivatorUtilities.CreateInstance<TService>(services));
        return invoker;
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = new UnaryCall<TResponse>();
        var response = InvokeAsync(method, options, request, call);
        return new AsyncUnaryCall<TResponse>(
            response, Task.FromResult(new Metadata()), call.GetStatus, call.GetTrailers, static () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        InvokeAsync(method, options, request, new UnaryCall<TResponse>()).GetAwaiter().GetResult();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw Unimplemented(method.FullName);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw Unimplemented(method.FullName);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw Unimplemented(method.FullName);

    private async Task<TResponse> InvokeAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, CallOptions options, TRequest request, UnaryCall<TResponse> call)
        where TRequest : class
        where TResponse : class
    {
        var deadline = options.Deadline ?? DateTime.MaxValue;
        CancellationTokenSource? timeout = null;
        try
        {
            if (!_unary.TryGetValue(method.FullName, out var bound))
            {
                throw Unimplemented(method.FullName);
            }

            var cancellationToken = options.CancellationToken;
            if (deadline != DateTime.MaxValue)
            {
                var left = deadline.ToUniversalTime() - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw DeadlineExceeded();
                }

                timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(left);
                cancellationToken = timeout.Token;
            }

            options.CancellationToken.ThrowIfCancellationRequested();
            var httpContext = new DefaultHttpContext { User = _caller, RequestServices = _services };
            var context = new InProcessServerCallContext(method.FullName, deadline, options.Headers, cancellationToken, httpContext);
            var response = await ((UnaryServerMethod<TRequest, TResponse>)bound)(request, context);
            call.Complete(Status.DefaultSuccess, context.ResponseTrailers);
            return response;
        }
        catch (Exception ex) when (options.CancellationToken.IsCancellationRequested && ex is OperationCanceledException or RpcException)
        {
            // As Grpc.Net.Client reports a call its caller cancelled.
            var cancelled = new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            call.Complete(cancelled.Status, cancelled.Trailers);
            throw cancelled;
        }
        catch (Exception ex) when (timeout?.IsCancellationRequested == true && ex is OperationCanceledException or RpcException)
        {
            var exceeded = DeadlineExceeded();
            call.Complete(exceeded.Status, exceeded.Trailers);
            throw exceeded;
        }
        catch (RpcException ex)
        {
            call.Complete(ex.Status, ex.Trailers);
            throw;
        }
        catch (OperationCanceledException)
        {
            var cancelled = new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            call.Complete(cancelled.Status, cancelled.Trailers);
            throw cancelled;
        }
        finally
        {
            timeout?.Dispose();
        }
    }

    private static RpcException DeadlineExceeded() => new(new Status(StatusCode.DeadlineExceeded, string.Empty));

    private static RpcException Unimplemented(string method) =>
        new(new Status(StatusCode.Unimplemented, $"Method {method} is not served in process."));

    /// <summary>Status and trailers of one call, readable once it completed (as Grpc.Net.Client's are).</summary>
    private sealed class UnaryCall<TResponse>
    {
        private Status? _status;
        private Metadata? _trailers;

        public void Complete(Status status, Metadata trailers)
        {
            _trailers = trailers;
            _status = status;
        }

        public Status GetStatus() =>
            _status ?? throw new InvalidOperationException("Unable to get the status because the call is not complete.");

        public Metadata GetTrailers() =>
            _trailers ?? throw new InvalidOperationException("Can't get the call trailers because the call has not completed successfully.");
    }

    /// <summary>Collects the unary handlers that the generated <c>BindService</c> adds, each wrapped in the interceptors.</summary>
    private sealed class Binder(InProcessCallInvoker invoker, List<Interceptor> interceptors) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            for (var i = interceptors.Count - 1; i >= 0; i--)
            {
                var interceptor = interceptors[i];
                var next = handler;
                handler = (request, context) => interceptor.UnaryServerHandler(request, context, next);
            }

            invoker._unary[method.FullName] = handler;
        }
    }
}

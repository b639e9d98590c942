using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Recommender.Vector.Grpc.InProcess;

/// <summary>The server side of an in-process call: what a gRPC service reads from its context (method, deadline,
/// headers, cancellation, the caller's <see cref="HttpContext"/> user), with no transport behind it.</summary>
internal sealed class InProcessServerCallContext : ServerCallContext
{
    /// <summary>Where <c>GetHttpContext()</c> of Grpc.AspNetCore looks for the HttpContext of a custom call context.</summary>
    private const string HttpContextKey = "__HttpContext";

    private readonly string _method;
    private readonly DateTime _deadline;
    private readonly Metadata _requestHeaders;
    private readonly CancellationToken _cancellationToken;
    private Metadata? _responseTrailers;
    private Dictionary<object, object>? _userState;
    private readonly HttpContext _httpContext;

    public InProcessServerCallContext(string method, DateTime deadline, Metadata? requestHeaders, CancellationToken cancellationToken, HttpContext httpContext)
    {
        _method = method;
        _deadline = deadline;
        _requestHeaders = requestHeaders ?? [];
        _cancellationToken = cancellationToken;
        _httpContext = httpContext;
    }

    protected override string MethodCore => _method;

    protected override string HostCore => "in-process";

    protected override string PeerCore => "in-process";

    protected override DateTime DeadlineCore => _deadline;

    protected override Metadata RequestHeadersCore => _requestHeaders;

    protected override CancellationToken CancellationTokenCore => _cancellationToken;

    protected override Metadata ResponseTrailersCore => _responseTrailers ??= [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override IDictionary<object, object> UserStateCore =>
        _userState ??= new Dictionary<object, object> { [HttpContextKey] = _httpContext };

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Context propagation is not supported for in-process calls.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}

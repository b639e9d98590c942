using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Recommender.Contracts.Ranking.V1;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ranking.Tests;

/// <summary>The gRPC message check in front of every service (GrpcMessageValidationMiddleware), through the real
/// server: bytes that are not a request message get INVALID_ARGUMENT naming the type; a valid message, small (checked in
/// the request pipe) or large (buffered), reaches the service unchanged.</summary>
public sealed class MessageValidationTests(SearchHostFixture host) : IClassFixture<SearchHostFixture>
{
    private const string TypeProblem = "The request is not a valid recommender.ranking.v1.SearchRequest";

    public static TheoryData<string, byte[]> GarbageMessages => new()
    {
        { "a field with a truncated varint", [0x08, 0xFF, 0xFF] },
        { "100 KB of a tag with an invalid wire type (the buffered check)", [.. Enumerable.Repeat((byte)0x0F, 100_000)] },
    };

    [Theory]
    [MemberData(nameof(GarbageMessages))]
    public async Task Search_MessageNotASearchRequest_InvalidArgumentNamingTheType(string what, byte[] message)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => CallAsync(message));

        Assert.True(ex.StatusCode == StatusCode.InvalidArgument, $"{what}: {ex.Status}");
        Assert.Contains(TypeProblem, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, "a truncated gRPC frame header")]
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 0x0A, 0x01 }, "a frame announces 9 bytes but 2 follow")]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x01, 0, 0, 0, 0, 1, 0x08 }, "truncated")] // the second frame is bad
    public async Task Search_BrokenFraming_InvalidArgumentSayingWhat(byte[] body, string problem)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{host.Channel.Target}/recommender.ranking.v1.RankingService/Search")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Add(ApiKeyCallInvoker.Header, SearchHostFixture.StorefrontKey);
        request.Headers.TE.ParseAdd("trailers");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("3", response.Headers.GetValues("grpc-status").Single());
        var message = Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single());
        Assert.Contains(TypeProblem, message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Search_ValidMessageSmallInThePipe_ServedWithResults()
    {
        var reply = SearchResponse.Parser.ParseFrom(await CallAsync(new SearchRequest { Query = "toner cartridge", PageSize = 5 }.ToByteArray()));

        Assert.Equal(5, reply.Results.Count);
    }

    [Fact]
    public async Task Search_ValidMessageLargerThanThePeek_ReachesTheServiceValidator()
    {
        // 100 KB of query: a well-formed message, buffered rather than checked in the pipe; the service's own validator
        // (not the message check) refuses the query's length.
        var request = new SearchRequest { Query = new string('a', 100_000), PageSize = 5 };

        var ex = await Assert.ThrowsAsync<RpcException>(() => CallAsync(request.ToByteArray()));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.DoesNotContain("not a valid", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("query", ex.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Search with <paramref name="message"/> as the request message's bytes (the client frames them).</summary>
    private Task<byte[]> CallAsync(byte[] message)
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "recommender.ranking.v1.RankingService", "Search", bytes, bytes);
        var invoker = host.Channel.WithApiKey(SearchHostFixture.StorefrontKey);
        return invoker.AsyncUnaryCall(method, null, new CallOptions(cancellationToken: TestContext.Current.CancellationToken), message).ResponseAsync;
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Vector.Qdrant.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Qdrant;
using Recommender.Vector.Tests.FakeQdrant;

namespace Recommender.Vector.Tests;

/// <summary>One fake Qdrant server for a test class; each test gets its own collection.</summary>
public sealed class FakeQdrantFixture : IAsyncLifetime
{
    public FakeQdrantServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await FakeQdrantServer.StartAsync(new FakeQdrantState { ApiKey = "test-key" });

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The behaviour suite on the Qdrant backend, over real gRPC, against the fake Qdrant.</summary>
public sealed class QdrantFakeStoreTests(FakeQdrantFixture fixture) : VectorStoreBehaviour, IClassFixture<FakeQdrantFixture>, IDisposable
{
    private readonly List<QdrantVectorStore> _stores = [];

    protected override Task<IVectorStore> CreateStoreAsync()
    {
        var store = QdrantStores.Open(fixture.Server.Endpoint, "test-key", $"pins_{Guid.NewGuid():N}", SearchOptions);
        _stores.Add(store);
        return Task.FromResult<IVectorStore>(store);
    }

    public void Dispose() => _stores.ForEach(s => s.Dispose());
}

/// <summary>
/// The behaviour suite on the Qdrant backend against a real Qdrant, when RECOMMENDER_QDRANT_TEST_ENDPOINT names one
/// (see deploy/qdrant-test/docker-compose.yml); skipped otherwise. Each test uses its own collection and drops it.
/// </summary>
public sealed class QdrantRealStoreTests : VectorStoreBehaviour, IAsyncDisposable
{
    public const string EndpointVariable = "RECOMMENDER_QDRANT_TEST_ENDPOINT";
    public const string ApiKeyVariable = "RECOMMENDER_QDRANT_TEST_API_KEY";

    private readonly List<QdrantVectorStore> _stores = [];

    protected override Task<IVectorStore> CreateStoreAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            Assert.Skip($"No real Qdrant: set {EndpointVariable} (e.g. http://localhost:6334) to run this suite against one.");
        }

        // Exact search, so HNSW approximation cannot make a real Qdrant differ from the exact embedded store.
        var store = QdrantStores.Open(endpoint, Environment.GetEnvironmentVariable(ApiKeyVariable), $"recommender_test_{Guid.NewGuid():N}", SearchOptions, exact: true);
        _stores.Add(store);
        return Task.FromResult<IVectorStore>(store);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await QdrantStores.DropAsync(store);
            store.Dispose();
        }
    }
}

public static class QdrantStores
{
    public static QdrantVectorStore Open(string endpoint, string? apiKey, string collection, VectorSearchOptions? search = null, bool exact = false) =>
        new(
            Options.Create(new QdrantOptions { Endpoint = endpoint, ApiKey = apiKey, Collection = collection, ExactSearch = exact, TimeoutMs = 30_000 }),
            Options.Create(search ?? new VectorSearchOptions()),
            NullLogger<QdrantVectorStore>.Instance);

    public static async Task DropAsync(QdrantVectorStore store)
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(store.Endpoint);
        var headers = new global::Grpc.Core.Metadata();
        if (store.ApiKey is { } key)
        {
            headers.Add("api-key", key);
        }

        await new Collections.CollectionsClient(channel).DeleteAsync(new DeleteCollection { CollectionName = store.CollectionName }, headers);
    }
}

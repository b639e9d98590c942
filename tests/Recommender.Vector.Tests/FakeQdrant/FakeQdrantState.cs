using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Recommender.Vector.Qdrant.Grpc;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;

namespace Recommender.Vector.Tests.FakeQdrant;

/// <summary>
/// The data of the fake Qdrant: collections of points with payloads and named vectors, and every request received
/// (with its headers) for the request-shape tests. Semantics are written from Qdrant's documentation, independently
/// of the embedded store: payload-based filters, cosine (vectors normalised on insert, as Qdrant does), sparse dot
/// product with the IDF modifier over the collection, RRF with k = 2 on 0-based ranks, average-vector recommend,
/// conditional upserts (update_filter). Qdrant does not order equal scores; the fake deliberately orders them by
/// descending point id, so a client that relies on Qdrant's tie order fails the suite.
/// </summary>
public sealed class FakeQdrantState
{
    private readonly object _gate = new();
    private readonly Dictionary<string, FakeCollection> _collections = new(StringComparer.Ordinal);

    /// <summary>When set, calls without this api-key header are refused.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Like Qdrant's strict mode: refuse filters on payload keys that have no index.</summary>
    public bool RequireIndexedFilters { get; init; } = true;

    /// <summary>Break ties by ascending point id instead (then Qdrant's order happens to be canonical more often).</summary>
    public bool TiesAscending { get; set; }

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    public void Record(string method, IMessage request, Metadata headers) =>
        Calls.Enqueue(new RecordedCall(method, request, headers.Select(h => (h.Key, h.Value)).ToList()));

    public IReadOnlyList<T> Requests<T>() where T : IMessage => Calls.Select(c => c.Request).OfType<T>().ToList();

    public bool Exists(string name)
    {
        lock (_gate)
        {
            return _collections.ContainsKey(name);
        }
    }

    public void Create(CreateCollection request)
    {
        lock (_gate)
        {
            if (_collections.ContainsKey(request.CollectionName))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Collection `{request.CollectionName}` already exists!"));
            }

            if (request.VectorsConfig?.ParamsMap is null || request.VectorsConfig.ParamsMap.Map.Count == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Recommender uses named dense vectors."));
            }

            _collections[request.CollectionName] = new FakeCollection(request.Clone());
        }
    }

    public bool Delete(string name)
    {
        lock (_gate)
        {
            return _collections.Remove(name);
        }
    }

    public T With<T>(string name, Func<FakeCollection, T> action)
    {
        lock (_gate)
        {
            if (!_collections.TryGetValue(name, out var collection))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!"));
            }

            return action(collection);
        }
    }

    public sealed record RecordedCall(string Method, IMessage Request, IReadOnlyList<(string Key, string Value)> Headers);
}

public sealed class FakePoint
{
    public required string Id { get; init; }

    public required MapField<string, Value> Payload { get; init; }

    public Dictionary<string, float[]> Dense { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (uint[] Indices, float[] Values)> Sparse { get; } = new(StringComparer.Ordinal);
}

public sealed class FakeCollection(CreateCollection config)
{
    public CreateCollection Config { get; } = config;

    public Dictionary<string, FakePoint> Points { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, CreateFieldIndexCollection> Indexes { get; } = new(StringComparer.Ordinal);

    public bool IsDense(string name) => Config.VectorsConfig.ParamsMap.Map.ContainsKey(name);

    public bool IsSparse(string name) => Config.SparseVectorsConfig?.Map.ContainsKey(name) ?? false;

    public void CheckFilter(QFilter? filter, bool strict)
    {
        if (filter is null || !strict)
        {
            return;
        }

        foreach (var c in filter.Must.Concat(filter.Should).Concat(filter.MustNot))
        {
            switch (c.ConditionOneOfCase)
            {
                case Condition.ConditionOneOfOneofCase.Field when !Indexes.ContainsKey(c.Field.Key):
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"Bad request: Index required but not found for \"{c.Field.Key}\" of one of the following types: [keyword]. Help: Create an index for this key or use a different filter."));
                case Condition.ConditionOneOfOneofCase.Filter:
                    CheckFilter(c.Filter, strict);
                    break;
            }
        }
    }
}

using System.Numerics.Tensors;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.ServiceDefaults.Grpc;
using Recommender.Vector.Qdrant.Grpc;
using Recommender.Vector.Storage.Embedded;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>
/// The production backend: one Qdrant collection over gRPC (port 6334) holding every tenant's pins, with a named
/// dense vector (cosine), a named sparse vector (IDF modifier) and payload indexes (tenant as Qdrant's tenant
/// index). It gives the same answers as <see cref="EmbeddedVectorStore"/>:
/// <list type="bullet">
/// <item>The collection is created on the first upsert, its width and embedder version taken from that batch and
/// kept in the collection's metadata (read back on start), as the embedded store takes them from its first pin.</item>
/// <item>Upserts are conditional (Qdrant's update_filter: only a stored version older than the new one is replaced),
/// so an older version never wins, even between replicas of this service racing each other; deletes write
/// tombstones (a point without vectors) so an older upsert still in flight cannot bring a pin back.</item>
/// <item>Hybrid search is one Query with a dense and a sparse prefetch fused by RRF in Qdrant (k = 2, 0-based rank,
/// the same as <see cref="ReciprocalRankFusion"/>), batched with the two branch queries to learn each hit's branch
/// scores; equal scores are ordered by pin id here, since Qdrant leaves ties unordered.</item>
/// </list>
/// </summary>
public sealed partial class QdrantVectorStore : IVectorStore, IDisposable
{
    private const string DimensionsKey = "dimensions";

    /// <summary>Extra hits asked of each branch, to see whether equal scores straddle the prefetch cut.</summary>
    private const int TieMargin = 16;

    private readonly QdrantOptions _options;
    private readonly VectorSearchOptions _search;
    private readonly ILogger<QdrantVectorStore> _logger;
    private readonly GrpcChannel _channel;
    private readonly Points.PointsClient _points;
    private readonly Collections.CollectionsClient _collections;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile CollectionShape? _shape;
    private long _serverFusions;
    private long _clientFusions;

    public QdrantVectorStore(IOptions<QdrantOptions> options, IOptions<VectorSearchOptions> search, ILogger<QdrantVectorStore> logger)
    {
        _options = options.Value;
        _search = search.Value;
        _logger = logger;
        _channel = GrpcChannel.ForAddress(_options.Endpoint, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            },
            // Every call here is safe to repeat (upserts and deletes are conditional on the version), so a call that
            // found Qdrant unavailable is retried.
            ServiceConfig = new ServiceConfig
            {
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromMilliseconds(100),
                            MaxBackoff = TimeSpan.FromSeconds(1),
                            BackoffMultiplier = 2,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
            },
        });
        var invoker = string.IsNullOrEmpty(_options.ApiKey)
            ? _channel.CreateCallInvoker()
            : _channel.Intercept(metadata =>
            {
                metadata.Add("api-key", _options.ApiKey);
                return metadata;
            });
        _points = new Points.PointsClient(invoker);
        _collections = new Collections.CollectionsClient(invoker);
    }

    public string CollectionName => _options.Collection;

    internal string Endpoint => _options.Endpoint;

    internal string? ApiKey => _options.ApiKey;

    public async Task<UpsertResult> UpsertAsync(IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0)
        {
            return new UpsertResult(0, 0);
        }

        // Check the whole batch before writing anything (as the embedded store does).
        var shape = await GetShapeAsync(cancellationToken);
        var (dimensions, embedderVersion) = shape is not null ? (shape.Dimensions, shape.EmbedderVersion)
            : _options.Dimensions is { } width && !string.IsNullOrEmpty(_options.EmbedderVersion) ? (width, _options.EmbedderVersion)
            : (0, "");
        foreach (var point in points)
        {
            (dimensions, embedderVersion) = EmbeddedVectorStore.CheckShape(point, dimensions, embedderVersion);
        }

        if (shape is null)
        {
            await EnsureCollectionAsync(dimensions, embedderVersion, cancellationToken);
            var created = _shape!;
            foreach (var point in points)
            {
                // Another replica may have created the collection first, with another shape.
                EmbeddedVectorStore.CheckShape(point, created.Dimensions, created.EmbedderVersion);
            }
        }

        // Decide, point by point in batch order, what the embedded store would apply: a point wins if it is newer
        // than what is stored (pin or tombstone) and than any earlier point of the batch with the same id.
        var ids = points.Select(p => QdrantPointId.For(p.Pin.Tenant, p.Pin.Id)).ToArray();
        var current = await ReadVersionsAsync(ids.Distinct(StringComparer.Ordinal).ToArray(), cancellationToken);
        var winners = new Dictionary<string, StoredPoint>(StringComparer.Ordinal);
        var applied = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var version = points[i].Pin.Version;
            if (current.TryGetValue(ids[i], out var stored) && stored >= version)
            {
                continue;
            }

            current[ids[i]] = version;
            winners[ids[i]] = points[i];
            applied++;
        }

        foreach (var chunk in winners.Chunk(_options.UpsertBatchSize))
        {
            var request = NewUpsert();
            request.Points.Add(chunk.Select(w => QdrantPayload.ToPoint(w.Value)));
            // Qdrant re-checks on its side: an existing point is replaced only if its version is older.
            request.UpdateFilter = OnlyOlder(chunk.Select(w => (w.Key, w.Value.Pin.Version)));
            await _points.UpsertAsync(request, Call(cancellationToken));
        }

        return new UpsertResult(applied, points.Count - applied);
    }

    public async Task<int> DeleteAsync(string tenant, IReadOnlyList<string> pinIds, long version, CancellationToken cancellationToken)
    {
        if (pinIds.Count == 0)
        {
            return 0;
        }

        if (await GetShapeAsync(cancellationToken) is null)
        {
            // Tombstones need the collection, and the collection needs its vector width. Without a configured
            // shape, a delete that arrives before the first upsert ever has nothing to delete and leaves no
            // tombstone (the one difference from the embedded store; see docs/vector.md).
            if (_options.Dimensions is not { } width || string.IsNullOrEmpty(_options.EmbedderVersion))
            {
                return 0;
            }

            await EnsureCollectionAsync(width, _options.EmbedderVersion, cancellationToken);
        }

        var ids = pinIds.Select(id => QdrantPointId.For(tenant, id)).Distinct(StringComparer.Ordinal).ToArray();
        var live = await ReadLiveVersionsAsync(ids, cancellationToken);
        var deleted = live.Count(v => v.Value < version);

        foreach (var chunk in pinIds.Distinct(StringComparer.Ordinal).Chunk(_options.UpsertBatchSize))
        {
            var request = NewUpsert();
            request.Points.Add(chunk.Select(id => QdrantPayload.Tombstone(tenant, id, version)));
            request.UpdateFilter = OnlyOlder(chunk.Select(id => (QdrantPointId.For(tenant, id), version)));
            await _points.UpsertAsync(request, Call(cancellationToken));
        }

        return deleted;
    }

    public async Task<IReadOnlyList<StoredPoint>> GetAsync(string tenant, IReadOnlyList<string> pinIds, CancellationToken cancellationToken)
    {
        if (pinIds.Count == 0 || await GetShapeAsync(cancellationToken) is null)
        {
            return [];
        }

        var found = await FetchAsync(pinIds.Select(id => QdrantPointId.For(tenant, id)).Distinct(StringComparer.Ordinal), cancellationToken);
        var result = new List<StoredPoint>(pinIds.Count);
        foreach (var id in pinIds)
        {
            if (found.TryGetValue(QdrantPointId.For(tenant, id), out var point))
            {
                result.Add(point);
            }
        }

        return result;
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken cancellationToken)
    {
        var dense = query.Dense is { Length: > 0 } ? query.Dense : null;
        var sparse = query.Sparse is { Count: > 0 } ? query.Sparse : null;
        var shape = await GetShapeAsync(cancellationToken);
        if (shape is null)
        {
            return [];
        }

        if (dense is not null)
        {
            EmbeddedVectorStore.CheckQuery(dense, query.EmbedderVersion, shape.Dimensions, shape.EmbedderVersion);
        }

        if (query.Limit <= 0 || (dense is null && sparse is null))
        {
            return [];
        }

        var prefetch = _search.PrefetchLimit(query.Limit);
        var filter = QdrantFilters.Scope(query.Tenant, query.Filter);
        if (dense is null || sparse is null)
        {
            var branch = dense is not null ? DenseBranch(dense, filter, prefetch) : SparseBranch(sparse!, filter, prefetch);
            branch.WithPayload = PinIdOnly();
            var response = await _points.QueryAsync(branch, Call(cancellationToken));
            var ranked = Rank(response.Result, query.Limit);
            return await HitsAsync(ranked, id => dense is not null ? ranked.Score(id) : 0f, id => sparse is not null ? ranked.Score(id) : 0f, cancellationToken);
        }

        // One round trip: Qdrant's fused query, plus each branch alone (a few extra hits, to see ties at the cut)
        // for the branch scores of every hit.
        var batch = new QueryBatchPoints { CollectionName = _options.Collection, Timeout = TimeoutSeconds };
        batch.QueryPoints.Add(Hybrid(dense, sparse, filter, prefetch));
        batch.QueryPoints.Add(WithPinId(DenseBranch(dense, filter, prefetch + TieMargin)));
        batch.QueryPoints.Add(WithPinId(SparseBranch(sparse, filter, prefetch + TieMargin)));
        var answers = await _points.QueryBatchAsync(batch, Call(cancellationToken));
        if (answers.Result.Count != 3)
        {
            throw new InvalidOperationException($"Qdrant answered {answers.Result.Count} of 3 batched queries.");
        }

        var denseBranch = answers.Result[1].Result;
        var sparseBranch = answers.Result[2].Result;
        // A branch score counts only for the branch's own candidates (its first prefetch hits), as in the embedded store.
        var denseScores = ScoresById(Canonical(denseBranch, prefetch));
        var sparseScores = ScoresById(Canonical(sparseBranch, prefetch));
        Ranked fused;
        if (IsCanonical(denseBranch, prefetch) && IsCanonical(sparseBranch, prefetch))
        {
            // Qdrant ranked each branch as the embedded store does, so its fusion is the same fusion; only equal
            // fused scores still need ordering by pin id.
            fused = Rank(answers.Result[0].Result, query.Limit);
            Interlocked.Increment(ref _serverFusions);
        }
        else
        {
            // Qdrant ordered equal branch scores its own way (it does not break ties), which moves ranks and so
            // fused scores. Fuse here from the branches in canonical order instead: same k, same rank base.
            fused = new Ranked(ReciprocalRankFusion.Fuse<(string Id, string PinId, float Score)>(
                    [Canonical(denseBranch, prefetch), Canonical(sparseBranch, prefetch)], h => h.PinId, query.Limit)
                .Select(f => (f.Item.Id, f.Item.PinId, f.Score))
                .ToList());
            Interlocked.Increment(ref _clientFusions);
        }

        // Every hybrid hit gets its exact cosine (as in the embedded store), also pins only the sparse branch found:
        // the fetched points carry their vectors.
        return await HitsAsync(fused, denseScores.GetValueOrDefault, sparseScores.GetValueOrDefault, cancellationToken,
            (id, point) => denseScores.TryGetValue(id, out var d) ? d
                : point.Dense.Length == dense.Length ? TensorPrimitives.Dot(point.Dense, dense) : 0f);
    }

    /// <summary>Hybrid searches fused by Qdrant, and those fused here because Qdrant's branch order had ties
    /// (for tests and diagnostics).</summary>
    internal long ServerFusions => Interlocked.Read(ref _serverFusions);

    internal long ClientFusions => Interlocked.Read(ref _clientFusions);

    public async Task<IReadOnlyList<SearchHit>> RecommendAsync(RecommendQuery query, CancellationToken cancellationToken)
    {
        if (await GetShapeAsync(cancellationToken) is null)
        {
            throw ServiceRuleException.NotFound($"Pin '{query.PositiveIds.FirstOrDefault()}' was not found.");
        }

        // Qdrant would reject unknown examples with its own error; report them as the embedded store does.
        var examples = query.PositiveIds.Concat(query.NegativeIds).ToArray();
        var live = await ReadLiveVersionsAsync(examples.Select(id => QdrantPointId.For(query.Tenant, id)).Distinct(StringComparer.Ordinal).ToArray(), cancellationToken);
        foreach (var id in examples)
        {
            if (!live.ContainsKey(QdrantPointId.For(query.Tenant, id)))
            {
                throw ServiceRuleException.NotFound($"Pin '{id}' was not found.");
            }
        }

        if (query.Limit <= 0)
        {
            return [];
        }

        var recommend = new RecommendInput { Strategy = RecommendStrategy.AverageVector };
        recommend.Positive.Add(query.PositiveIds.Select(id => new VectorInput { Id = new PointId { Uuid = QdrantPointId.For(query.Tenant, id) } }));
        recommend.Negative.Add(query.NegativeIds.Select(id => new VectorInput { Id = new PointId { Uuid = QdrantPointId.For(query.Tenant, id) } }));
        var request = new QueryPoints
        {
            CollectionName = _options.Collection,
            Query = new Query { Recommend = recommend },
            Using = QdrantPayload.DenseVector,
            Filter = QdrantFilters.Scope(query.Tenant, query.Filter),
            // Over-fetch so ties at the cut are settled by pin id here, as the embedded store settles them.
            Limit = (ulong)_search.PrefetchLimit(query.Limit),
            WithPayload = PinIdOnly(),
            Params = SearchParams(),
            Timeout = TimeoutSeconds,
        };
        var response = await _points.QueryAsync(request, Call(cancellationToken));
        var ranked = Rank(response.Result, query.Limit);
        return await HitsAsync(ranked, ranked.Score, _ => 0f, cancellationToken);
    }

    public async Task<CollectionStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken)
    {
        var shape = await GetShapeAsync(cancellationToken);
        if (shape is null)
        {
            return new CollectionStats(0, 0, "", "qdrant");
        }

        var count = await _points.CountAsync(
            new CountPoints { CollectionName = _options.Collection, Filter = QdrantFilters.Live(tenant), Exact = true },
            Call(cancellationToken));
        return new CollectionStats((long)count.Result.Count, shape.Dimensions, shape.EmbedderVersion, "qdrant");
    }

    /// <summary>Whether Qdrant answers (for the readiness check).</summary>
    public async Task<bool> CollectionExistsAsync(CancellationToken cancellationToken)
    {
        var exists = await _collections.CollectionExistsAsync(
            new CollectionExistsRequest { CollectionName = _options.Collection }, Call(cancellationToken));
        return exists.Result?.Exists ?? false;
    }

    public void Dispose()
    {
        _channel.Dispose();
        _createLock.Dispose();
    }

    private ulong TimeoutSeconds => (ulong)Math.Max(1, (_options.TimeoutMs + 999) / 1000);

    private CallOptions Call(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow.AddMilliseconds(_options.TimeoutMs), cancellationToken: cancellationToken);

    private UpsertPoints NewUpsert()
    {
        var request = new UpsertPoints { CollectionName = _options.Collection, Wait = true, Timeout = TimeoutSeconds };
        if (_options.WriteOrdering != QdrantWriteOrdering.Weak)
        {
            request.Ordering = new WriteOrdering { Type = (WriteOrderingType)(int)_options.WriteOrdering };
        }

        return request;
    }

    /// <summary>Replace an existing point only if its stored version is older than the incoming one.</summary>
    private static QFilter OnlyOlder(IEnumerable<(string PointId, long Version)> points)
    {
        var filter = new QFilter();
        foreach (var group in points.GroupBy(p => p.Version))
        {
            filter.Should.Add(QdrantFilters.OlderThan(group.Select(p => p.PointId), group.Key));
        }

        return filter;
    }

    private SearchParams? SearchParams()
    {
        if (!_options.ExactSearch && _options.HnswEf is null)
        {
            return null;
        }

        var p = new SearchParams();
        if (_options.ExactSearch)
        {
            p.Exact = true;
        }

        if (_options.HnswEf is { } ef)
        {
            p.HnswEf = (ulong)ef;
        }

        return p;
    }

    private QueryPoints Hybrid(float[] dense, Embeddings.SparseVector sparse, QFilter filter, int prefetch)
    {
        var query = new QueryPoints
        {
            CollectionName = _options.Collection,
            Query = new Query { Fusion = Fusion.Rrf },
            Filter = filter,
            // Everything the two prefetches can return, so ties at the cut are settled here by pin id.
            Limit = (ulong)(2 * prefetch),
            WithPayload = PinIdOnly(),
            Timeout = TimeoutSeconds,
        };
        query.Prefetch.Add(new PrefetchQuery
        {
            Query = new Query { Nearest = DenseInput(dense) },
            Using = QdrantPayload.DenseVector,
            Filter = filter,
            Limit = (ulong)prefetch,
            Params = SearchParams(),
        });
        query.Prefetch.Add(new PrefetchQuery
        {
            Query = new Query { Nearest = new VectorInput { Sparse = QdrantPayload.ToSparse(sparse) } },
            Using = QdrantPayload.SparseVector,
            Filter = filter,
            Limit = (ulong)prefetch,
        });
        return query;
    }

    private QueryPoints DenseBranch(float[] dense, QFilter filter, int limit) => new()
    {
        CollectionName = _options.Collection,
        Query = new Query { Nearest = DenseInput(dense) },
        Using = QdrantPayload.DenseVector,
        Filter = filter,
        Limit = (ulong)limit,
        WithPayload = new WithPayloadSelector { Enable = false },
        Params = SearchParams(),
        Timeout = TimeoutSeconds,
    };

    private QueryPoints SparseBranch(Embeddings.SparseVector sparse, QFilter filter, int limit) => new()
    {
        CollectionName = _options.Collection,
        Query = new Query { Nearest = new VectorInput { Sparse = QdrantPayload.ToSparse(sparse) } },
        Using = QdrantPayload.SparseVector,
        Filter = filter,
        Limit = (ulong)limit,
        WithPayload = new WithPayloadSelector { Enable = false },
        Timeout = TimeoutSeconds,
    };

    private static VectorInput DenseInput(float[] dense)
    {
        var vector = new DenseVector();
        vector.Data.Add(dense);
        return new VectorInput { Dense = vector };
    }

    private static WithPayloadSelector PinIdOnly()
    {
        var include = new PayloadIncludeSelector();
        include.Fields.Add(QdrantPayload.PinId);
        return new WithPayloadSelector { Include = include };
    }

    private static QueryPoints WithPinId(QueryPoints query)
    {
        query.WithPayload = PinIdOnly();
        return query;
    }

    private static (string Id, string PinId, float Score) Item(ScoredPoint p) =>
        (QdrantPointId.Canonical(p.Id.Uuid), QdrantPayload.StringOf(p.Payload, QdrantPayload.PinId) ?? "", p.Score);

    /// <summary>The first <paramref name="take"/> hits, best first, equal scores by pin id.</summary>
    private static List<(string Id, string PinId, float Score)> Canonical(IEnumerable<ScoredPoint> points, int take) =>
        [.. points.Select(Item).OrderByDescending(p => p.Score).ThenBy(p => p.PinId, StringComparer.Ordinal).Take(take)];

    /// <summary>Whether Qdrant's first <paramref name="cut"/> hits are exactly the canonical ones in canonical order:
    /// equal neighbours ordered by pin id, and no equal score on both sides of the cut.</summary>
    private static bool IsCanonical(IReadOnlyList<ScoredPoint> points, int cut)
    {
        var end = Math.Min(cut, points.Count);
        for (var i = 1; i < end; i++)
        {
            if (points[i].Score > points[i - 1].Score
                || (points[i].Score == points[i - 1].Score
                    && string.CompareOrdinal(Item(points[i]).PinId, Item(points[i - 1]).PinId) < 0))
            {
                return false;
            }
        }

        return points.Count <= cut || points[cut].Score != points[cut - 1].Score;
    }

    private static Dictionary<string, float> ScoresById(IEnumerable<(string Id, string PinId, float Score)> points) =>
        points.ToDictionary(p => p.Id, p => p.Score, StringComparer.Ordinal);

    /// <summary>Best first, equal scores by pin id (ordinal): Qdrant does not order ties, the embedded store does.</summary>
    private static Ranked Rank(IEnumerable<ScoredPoint> points, int limit) => new(Canonical(points, limit));

    private async Task<IReadOnlyList<SearchHit>> HitsAsync(
        Ranked ranked, Func<string, float> denseScore, Func<string, float> sparseScore, CancellationToken cancellationToken,
        Func<string, StoredPoint, float>? exactDense = null)
    {
        if (ranked.Items.Count == 0)
        {
            return [];
        }

        var points = await FetchAsync(ranked.Items.Select(r => r.Id), cancellationToken);
        var hits = new List<SearchHit>(ranked.Items.Count);
        foreach (var (id, _, score) in ranked.Items)
        {
            // A pin deleted between the query and the fetch is left out.
            if (points.TryGetValue(id, out var point))
            {
                hits.Add(new SearchHit(point, score, exactDense?.Invoke(id, point) ?? denseScore(id), sparseScore(id)));
            }
        }

        return hits;
    }

    /// <summary>Live points by point id, with payload and vectors.</summary>
    private async Task<Dictionary<string, StoredPoint>> FetchAsync(IEnumerable<string> pointIds, CancellationToken cancellationToken)
    {
        var request = new GetPoints
        {
            CollectionName = _options.Collection,
            WithPayload = new WithPayloadSelector { Enable = true },
            WithVectors = new WithVectorsSelector { Enable = true },
            Timeout = TimeoutSeconds,
        };
        request.Ids.Add(pointIds.Select(id => new PointId { Uuid = id }));
        var response = await _points.GetAsync(request, Call(cancellationToken));
        var result = new Dictionary<string, StoredPoint>(StringComparer.Ordinal);
        foreach (var point in response.Result)
        {
            if (!QdrantPayload.IsDeleted(point.Payload))
            {
                result[QdrantPointId.Canonical(point.Id.Uuid)] = QdrantPayload.ToStoredPoint(point.Payload, point.Vectors);
            }
        }

        return result;
    }

    /// <summary>Stored versions (of pins and tombstones) by point id.</summary>
    private async Task<Dictionary<string, long>> ReadVersionsAsync(IReadOnlyList<string> pointIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var point in await ReadVersionPayloadsAsync(pointIds, cancellationToken))
        {
            result[QdrantPointId.Canonical(point.Id.Uuid)] = QdrantPayload.VersionOf(point.Payload) ?? long.MinValue;
        }

        return result;
    }

    /// <summary>Versions of live pins (tombstones left out) by point id.</summary>
    private async Task<Dictionary<string, long>> ReadLiveVersionsAsync(IReadOnlyList<string> pointIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var point in await ReadVersionPayloadsAsync(pointIds, cancellationToken))
        {
            if (!QdrantPayload.IsDeleted(point.Payload))
            {
                result[QdrantPointId.Canonical(point.Id.Uuid)] = QdrantPayload.VersionOf(point.Payload) ?? long.MinValue;
            }
        }

        return result;
    }

    private async Task<List<RetrievedPoint>> ReadVersionPayloadsAsync(IReadOnlyList<string> pointIds, CancellationToken cancellationToken)
    {
        var result = new List<RetrievedPoint>(pointIds.Count);
        foreach (var chunk in pointIds.Chunk(1_000))
        {
            var include = new PayloadIncludeSelector();
            include.Fields.Add([QdrantPayload.Version, QdrantPayload.Deleted]);
            var request = new GetPoints
            {
                CollectionName = _options.Collection,
                WithPayload = new WithPayloadSelector { Include = include },
                WithVectors = new WithVectorsSelector { Enable = false },
                Timeout = TimeoutSeconds,
            };
            request.Ids.Add(chunk.Select(id => new PointId { Uuid = id }));
            var response = await _points.GetAsync(request, Call(cancellationToken));
            result.AddRange(response.Result);
        }

        return result;
    }

    /// <summary>The collection's width and embedder version once it exists; null before the first upsert.</summary>
    private async Task<CollectionShape?> GetShapeAsync(CancellationToken cancellationToken)
    {
        if (_shape is { } known)
        {
            return known;
        }

        if (!await CollectionExistsAsync(cancellationToken))
        {
            return null;
        }

        var info = await _collections.GetAsync(new GetCollectionInfoRequest { CollectionName = _options.Collection }, Call(cancellationToken));
        var config = info.Result.Config;
        var vectors = config.Params.VectorsConfig;
        if (vectors?.ParamsMap is null || !vectors.ParamsMap.Map.TryGetValue(QdrantPayload.DenseVector, out var denseParams))
        {
            throw new InvalidOperationException(
                $"Qdrant collection '{_options.Collection}' has no dense vector named '{QdrantPayload.DenseVector}': it was not made by Recommender.");
        }

        var embedderVersion = config.Metadata.TryGetValue(QdrantPayload.EmbedderVersion, out var v) && v.KindCase == Value.KindOneofCase.StringValue
            ? v.StringValue
            : await EmbedderVersionOfAnyPointAsync(cancellationToken);
        var shape = new CollectionShape((int)denseParams.Size, embedderVersion);
        _shape = shape;
        LogCollectionFound(_logger, _options.Collection, shape.Dimensions, shape.EmbedderVersion);
        return shape;
    }

    /// <summary>For a collection without metadata (made by a Qdrant before 1.16): the version on any live point.</summary>
    private async Task<string> EmbedderVersionOfAnyPointAsync(CancellationToken cancellationToken)
    {
        var include = new PayloadIncludeSelector();
        include.Fields.Add(QdrantPayload.EmbedderVersion);
        var any = await _points.QueryAsync(
            new QueryPoints
            {
                CollectionName = _options.Collection,
                Filter = QdrantFilters.Live(null),
                Limit = 1,
                WithPayload = new WithPayloadSelector { Include = include },
            },
            Call(cancellationToken));
        return any.Result.Select(p => QdrantPayload.StringOf(p.Payload, QdrantPayload.EmbedderVersion)).FirstOrDefault(s => s is not null) ?? "";
    }

    private async Task EnsureCollectionAsync(int dimensions, string embedderVersion, CancellationToken cancellationToken)
    {
        await _createLock.WaitAsync(cancellationToken);
        try
        {
            if (await GetShapeAsync(cancellationToken) is not null)
            {
                return;
            }

            try
            {
                await _collections.CreateAsync(NewCollection(dimensions, embedderVersion), Call(cancellationToken));
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.AlreadyExists or StatusCode.InvalidArgument)
            {
                // Another replica may have created it first; then use theirs.
                if (await GetShapeAsync(cancellationToken) is null)
                {
                    throw;
                }

                return;
            }

            await CreatePayloadIndexesAsync(cancellationToken);
            _shape = new CollectionShape(dimensions, embedderVersion);
            LogCollectionCreated(_logger, _options.Collection, dimensions, embedderVersion);
        }
        finally
        {
            _createLock.Release();
        }
    }

    private CreateCollection NewCollection(int dimensions, string embedderVersion)
    {
        var vectors = new VectorParamsMap();
        vectors.Map[QdrantPayload.DenseVector] = new VectorParams { Size = (ulong)dimensions, Distance = Distance.Cosine };
        var sparse = new SparseVectorConfig();
        sparse.Map[QdrantPayload.SparseVector] = new SparseVectorParams { Modifier = Modifier.Idf };
        var create = new CreateCollection
        {
            CollectionName = _options.Collection,
            VectorsConfig = new VectorsConfig { ParamsMap = vectors },
            SparseVectorsConfig = sparse,
            Timeout = TimeoutSeconds,
        };
        if (_options.ShardNumber is { } shards)
        {
            create.ShardNumber = (uint)shards;
        }

        if (_options.ReplicationFactor is { } replicas)
        {
            create.ReplicationFactor = (uint)replicas;
        }

        if (_options.WriteConsistencyFactor is { } consistency)
        {
            create.WriteConsistencyFactor = (uint)consistency;
        }

        create.Metadata[QdrantPayload.EmbedderVersion] = new Value { StringValue = embedderVersion };
        create.Metadata[DimensionsKey] = new Value { IntegerValue = dimensions };
        return create;
    }

    /// <summary>Every payload field a query or a conditional upsert filters on is indexed (Qdrant's strict mode refuses
    /// filters on unindexed fields); tenant is Qdrant's tenant index, which groups each tenant's points on disk.</summary>
    private async Task CreatePayloadIndexesAsync(CancellationToken cancellationToken)
    {
        var indexes = new (string Field, FieldType Type, PayloadIndexParams? Params)[]
        {
            (QdrantPayload.Tenant, FieldType.Keyword, new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } }),
            (QdrantPayload.Brand, FieldType.Keyword, null),
            (QdrantPayload.Category, FieldType.Keyword, null),
            (QdrantPayload.Colour, FieldType.Keyword, null),
            (QdrantPayload.InStock, FieldType.Keyword, null),
            (QdrantPayload.Price, FieldType.Float, null),
            (QdrantPayload.Version, FieldType.Integer, null),
            (QdrantPayload.Deleted, FieldType.Bool, null),
        };
        foreach (var (field, type, parameters) in indexes)
        {
            var request = new CreateFieldIndexCollection
            {
                CollectionName = _options.Collection,
                Wait = true,
                FieldName = field,
                FieldType = type,
                Timeout = TimeoutSeconds,
            };
            if (parameters is not null)
            {
                request.FieldIndexParams = parameters;
            }

            await _points.CreateFieldIndexAsync(request, Call(cancellationToken));
        }
    }

    private sealed record CollectionShape(int Dimensions, string EmbedderVersion);

    private sealed class Ranked(List<(string Id, string PinId, float Score)> items)
    {
        private readonly Dictionary<string, float> _scores = items.ToDictionary(i => i.Id, i => i.Score, StringComparer.Ordinal);

        public List<(string Id, string PinId, float Score)> Items { get; } = items;

        public float Score(string id) => _scores.GetValueOrDefault(id);
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information,
        Message = "Qdrant collection {Collection} created: {Dimensions}-dimensional dense vectors of embedder {EmbedderVersion}")]
    private static partial void LogCollectionCreated(ILogger logger, string collection, int dimensions, string embedderVersion);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information,
        Message = "Qdrant collection {Collection} found: {Dimensions}-dimensional dense vectors of embedder {EmbedderVersion}")]
    private static partial void LogCollectionFound(ILogger logger, string collection, int dimensions, string embedderVersion);
}

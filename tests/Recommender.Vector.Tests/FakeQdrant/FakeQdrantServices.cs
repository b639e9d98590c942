using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Recommender.Vector.Qdrant.Grpc;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;
using QQuery = Recommender.Vector.Qdrant.Grpc.Query;
using QVector = Recommender.Vector.Qdrant.Grpc.Vector;

namespace Recommender.Vector.Tests.FakeQdrant;

/// <summary>Records every call and checks the api-key header, as Qdrant does when an API key is configured.</summary>
public sealed class FakeQdrantInterceptor(FakeQdrantState state) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        state.Record(context.Method, (IMessage)request, context.RequestHeaders);
        if (state.ApiKey is { } key && context.RequestHeaders.GetValue("api-key") != key)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Invalid api-key"));
        }

        return continuation(request, context);
    }
}

public sealed class FakeCollectionsService(FakeQdrantState state) : Collections.CollectionsBase
{
    public override Task<CollectionExistsResponse> CollectionExists(CollectionExistsRequest request, ServerCallContext context) =>
        Task.FromResult(new CollectionExistsResponse { Result = new CollectionExists { Exists = state.Exists(request.CollectionName) } });

    public override Task<CollectionOperationResponse> Create(CreateCollection request, ServerCallContext context)
    {
        state.Create(request);
        return Task.FromResult(new CollectionOperationResponse { Result = true });
    }

    public override Task<CollectionOperationResponse> Delete(DeleteCollection request, ServerCallContext context) =>
        Task.FromResult(new CollectionOperationResponse { Result = state.Delete(request.CollectionName) });

    public override Task<GetCollectionInfoResponse> Get(GetCollectionInfoRequest request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            var config = new CollectionConfig
            {
                Params = new CollectionParams
                {
                    ShardNumber = c.Config.HasShardNumber ? c.Config.ShardNumber : 1,
                    VectorsConfig = c.Config.VectorsConfig,
                    SparseVectorsConfig = c.Config.SparseVectorsConfig,
                    ReplicationFactor = c.Config.HasReplicationFactor ? c.Config.ReplicationFactor : 1,
                    WriteConsistencyFactor = c.Config.HasWriteConsistencyFactor ? c.Config.WriteConsistencyFactor : 1,
                },
            };
            config.Metadata.Add(c.Config.Metadata);
            var info = new CollectionInfo { Status = CollectionStatus.Green, Config = config, PointsCount = (ulong)c.Points.Count };
            foreach (var (field, index) in c.Indexes)
            {
                info.PayloadSchema[field] = new PayloadSchemaInfo { DataType = (PayloadSchemaType)((int)index.FieldType + 1) };
            }

            return new GetCollectionInfoResponse { Result = info };
        }));
}

public sealed class FakePointsService(FakeQdrantState state) : Points.PointsBase
{
    public override Task<PointsOperationResponse> Upsert(UpsertPoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            c.CheckFilter(request.UpdateFilter, state.RequireIndexedFilters);
            var incoming = request.Points.Select(p => ToFakePoint(c, p)).ToList();
            foreach (var point in incoming)
            {
                // Conditional upsert: an existing point is replaced only if it matches update_filter.
                if (c.Points.TryGetValue(point.Id, out var existing) && request.UpdateFilter is { } condition
                    && !FakeSemantics.Matches(condition, existing))
                {
                    continue;
                }

                c.Points[point.Id] = point;
            }

            return Completed(request.Wait);
        }));

    public override Task<PointsOperationResponse> Delete(DeletePoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            var doomed = request.Points.PointsSelectorOneOfCase == PointsSelector.PointsSelectorOneOfOneofCase.Points
                ? request.Points.Points.Ids.Select(FakeSemantics.Canonical).ToList()
                : c.Points.Values.Where(p => FakeSemantics.Matches(request.Points.Filter, p)).Select(p => p.Id).ToList();
            foreach (var id in doomed)
            {
                c.Points.Remove(id);
            }

            return Completed(request.Wait);
        }));

    public override Task<GetResponse> Get(GetPoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            var response = new GetResponse();
            // Qdrant answers in its own order (and once per point); the fake answers in reverse.
            foreach (var id in request.Ids.Select(FakeSemantics.Canonical).Distinct().Reverse())
            {
                if (c.Points.TryGetValue(id, out var point))
                {
                    var retrieved = new RetrievedPoint { Id = new PointId { Uuid = point.Id } };
                    retrieved.Payload.Add(Payload(point, request.WithPayload));
                    if (VectorsOf(point, request.WithVectors) is { } vectors)
                    {
                        retrieved.Vectors = vectors;
                    }

                    response.Result.Add(retrieved);
                }
            }

            return response;
        }));

    public override Task<PointsOperationResponse> CreateFieldIndex(CreateFieldIndexCollection request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            c.Indexes[request.FieldName] = request.Clone();
            return Completed(request.Wait);
        }));

    public override Task<CountResponse> Count(CountPoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            c.CheckFilter(request.Filter, state.RequireIndexedFilters);
            return new CountResponse { Result = new CountResult { Count = (ulong)c.Points.Values.Count(p => FakeSemantics.Matches(request.Filter, p)) } };
        }));

    public override Task<QueryResponse> Query(QueryPoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            var response = new QueryResponse();
            response.Result.Add(Execute(c, request));
            return response;
        }));

    public override Task<QueryBatchResponse> QueryBatch(QueryBatchPoints request, ServerCallContext context) =>
        Task.FromResult(state.With(request.CollectionName, c =>
        {
            var response = new QueryBatchResponse();
            foreach (var query in request.QueryPoints)
            {
                var result = new BatchResult();
                result.Result.Add(Execute(c, query));
                response.Result.Add(result);
            }

            return response;
        }));

    private static PointsOperationResponse Completed(bool wait) => new()
    {
        Result = new UpdateResult { Status = wait ? UpdateStatus.Completed : UpdateStatus.Acknowledged },
    };

    private static FakePoint ToFakePoint(FakeCollection c, PointStruct point)
    {
        var fake = new FakePoint { Id = FakeSemantics.Canonical(point.Id), Payload = point.Payload.Clone() };
        if (point.Vectors is null)
        {
            return fake;
        }

        if (point.Vectors.VectorsOptionsCase != Recommender.Vector.Qdrant.Grpc.Vectors.VectorsOptionsOneofCase.Vectors_)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The collection has named vectors; send them by name."));
        }

        foreach (var (name, vector) in point.Vectors.Vectors_.Vectors)
        {
#pragma warning disable CS0612 // the fake refuses the legacy encoding, so it must look at it
            if (vector.Data.Count > 0 || vector.Indices is not null)
#pragma warning restore CS0612
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Vector '{name}' uses the deprecated encoding."));
            }

            if (c.IsDense(name) && vector.VectorCase == QVector.VectorOneofCase.Dense)
            {
                var size = (int)c.Config.VectorsConfig.ParamsMap.Map[name].Size;
                if (vector.Dense.Data.Count != size)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"Wrong input: Vector dimension error: expected dim: {size}, got {vector.Dense.Data.Count}"));
                }

                fake.Dense[name] = FakeSemantics.Normalize(vector.Dense.Data);
            }
            else if (c.IsSparse(name) && vector.VectorCase == QVector.VectorOneofCase.Sparse)
            {
                if (vector.Sparse.Indices.Count != vector.Sparse.Values.Count)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "Sparse indices and values differ in length."));
                }

                fake.Sparse[name] = ([.. vector.Sparse.Indices], [.. vector.Sparse.Values]);
            }
            else
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}"));
            }
        }

        return fake;
    }

    private IEnumerable<ScoredPoint> Execute(FakeCollection c, QueryPoints request)
    {
        var hits = Run(c, [.. request.Prefetch], request.Query, request.HasUsing ? request.Using : "", request.Filter,
            request.HasLimit ? (int)request.Limit : 10);
        foreach (var (point, score) in hits.Skip(request.HasOffset ? (int)request.Offset : 0))
        {
            var scored = new ScoredPoint { Id = new PointId { Uuid = point.Id }, Score = score };
            scored.Payload.Add(Payload(point, request.WithPayload));
            if (VectorsOf(point, request.WithVectors) is { } vectors)
            {
                scored.Vectors = vectors;
            }

            yield return scored;
        }
    }

    /// <summary>One level of the universal query: prefetches first (each also under the parent's filter), then
    /// the query over their results (fusion) or over the whole collection.</summary>
    private List<(FakePoint Point, float Score)> Run(
        FakeCollection c, IReadOnlyList<PrefetchQuery> prefetches, QQuery? query, string vectorName, QFilter? filter, int limit)
    {
        c.CheckFilter(filter, state.RequireIndexedFilters);
        var lists = prefetches.Select(p =>
        {
            var combined = new QFilter();
            if (filter is not null)
            {
                combined.Must.Add(new Condition { Filter = filter });
            }

            if (p.Filter is not null)
            {
                combined.Must.Add(new Condition { Filter = p.Filter });
            }

            return Run(c, [.. p.Prefetch], p.Query, p.HasUsing ? p.Using : "", combined, p.HasLimit ? (int)p.Limit : 10);
        }).ToList();

        var candidates = c.Points.Values.Where(p => FakeSemantics.Matches(filter, p)).ToList();
        switch (query?.VariantCase)
        {
            case null or QQuery.VariantOneofCase.None:
                // No query: points ordered by id.
                return [.. candidates.OrderBy(p => p.Id, StringComparer.Ordinal).Take(limit).Select(p => (p, 0f))];
            case QQuery.VariantOneofCase.Fusion when query.Fusion == Fusion.Rrf:
                return Rrf(lists, limit);
            case QQuery.VariantOneofCase.Nearest when lists.Count == 0:
                return Nearest(c, candidates, query.Nearest, vectorName, limit);
            case QQuery.VariantOneofCase.Recommend when lists.Count == 0:
                return Recommend(c, candidates, query.Recommend, vectorName, limit);
            default:
                throw new RpcException(new Status(StatusCode.Unimplemented, $"The fake does not do {query.VariantCase} here."));
        }
    }

    private List<(FakePoint Point, float Score)> Rrf(List<List<(FakePoint Point, float Score)>> lists, int limit)
    {
        var scores = new Dictionary<string, (FakePoint Point, float Score)>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            for (var position = 0; position < list.Count; position++)
            {
                var add = 1f / (position + 2f);
                var id = list[position].Point.Id;
                scores[id] = scores.TryGetValue(id, out var s) ? (s.Point, s.Score + add) : (list[position].Point, add);
            }
        }

        return [.. FakeSemantics.Order(scores.Values, state.TiesAscending).Take(limit)];
    }

    private List<(FakePoint Point, float Score)> Nearest(FakeCollection c, List<FakePoint> candidates, VectorInput input, string name, int limit)
    {
        switch (input.VariantCase)
        {
            case VectorInput.VariantOneofCase.Dense:
            {
                if (!c.IsDense(name))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}"));
                }

                var size = (int)c.Config.VectorsConfig.ParamsMap.Map[name].Size;
                if (input.Dense.Data.Count != size)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {size}, got {input.Dense.Data.Count}"));
                }

                var q = FakeSemantics.Normalize(input.Dense.Data);
                return [.. FakeSemantics.Order(
                    candidates.Where(p => p.Dense.ContainsKey(name)).Select(p => (p, FakeSemantics.Cosine(p.Dense[name], q))),
                    state.TiesAscending).Take(limit)];
            }

            case VectorInput.VariantOneofCase.Sparse:
            {
                if (!c.IsSparse(name))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}"));
                }

                // IDF statistics of the whole collection: points that have this sparse vector.
                var withVector = c.Points.Values.Where(p => p.Sparse.ContainsKey(name)).ToList();
                var idf = (uint term) => FakeSemantics.Idf(withVector.Count, withVector.Count(p => p.Sparse[name].Indices.Contains(term)));
                var query = (input.Sparse.Indices.ToArray(), input.Sparse.Values.ToArray());
                var scored = new List<(FakePoint, float)>();
                foreach (var p in candidates.Where(p => p.Sparse.ContainsKey(name)))
                {
                    if (FakeSemantics.SparseScore(query, p.Sparse[name], idf) is { } score)
                    {
                        scored.Add((p, score));
                    }
                }

                return [.. FakeSemantics.Order(scored, state.TiesAscending).Take(limit)];
            }

            default:
                throw new RpcException(new Status(StatusCode.Unimplemented, $"The fake does not do nearest {input.VariantCase}."));
        }
    }

    private List<(FakePoint Point, float Score)> Recommend(FakeCollection c, List<FakePoint> candidates, RecommendInput input, string name, int limit)
    {
        if (input.HasStrategy && input.Strategy != RecommendStrategy.AverageVector)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "The fake does only the average_vector strategy."));
        }

        float[] Lookup(VectorInput v)
        {
            if (v.VariantCase != VectorInput.VariantOneofCase.Id)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "The fake recommends by point ids."));
            }

            var id = FakeSemantics.Canonical(v.Id);
            return c.Points.TryGetValue(id, out var p) && p.Dense.TryGetValue(name, out var vector)
                ? vector
                : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: No point with id {id} found"));
        }

        var positives = input.Positive.Select(Lookup).ToList();
        var negatives = input.Negative.Select(Lookup).ToList();
        if (positives.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "At least one positive example is needed."));
        }

        var dims = positives[0].Length;
        var target = new float[dims];
        for (var d = 0; d < dims; d++)
        {
            var avgPositive = positives.Average(v => v[d]);
            target[d] = negatives.Count == 0 ? avgPositive : avgPositive + avgPositive - negatives.Average(v => v[d]);
        }

        var q = FakeSemantics.Normalize(target);
        var examples = input.Positive.Concat(input.Negative).Select(v => FakeSemantics.Canonical(v.Id)).ToHashSet();
        return [.. FakeSemantics.Order(
            candidates.Where(p => !examples.Contains(p.Id) && p.Dense.ContainsKey(name)).Select(p => (p, FakeSemantics.Cosine(p.Dense[name], q))),
            state.TiesAscending).Take(limit)];
    }

    private static Google.Protobuf.Collections.MapField<string, Value> Payload(FakePoint point, WithPayloadSelector? selector)
    {
        var result = new Google.Protobuf.Collections.MapField<string, Value>();
        switch (selector?.SelectorOptionsCase)
        {
            case WithPayloadSelector.SelectorOptionsOneofCase.Enable when selector.Enable:
                result.Add(point.Payload);
                break;
            case WithPayloadSelector.SelectorOptionsOneofCase.Include:
                foreach (var key in selector.Include.Fields.Where(point.Payload.ContainsKey))
                {
                    result[key] = point.Payload[key];
                }

                break;
            case WithPayloadSelector.SelectorOptionsOneofCase.Exclude:
                foreach (var (key, value) in point.Payload.Where(kv => !selector.Exclude.Fields.Contains(kv.Key)))
                {
                    result[key] = value;
                }

                break;
        }

        return result;
    }

    private static VectorsOutput? VectorsOf(FakePoint point, WithVectorsSelector? selector)
    {
        var names = selector?.SelectorOptionsCase switch
        {
            WithVectorsSelector.SelectorOptionsOneofCase.Enable when selector.Enable => point.Dense.Keys.Concat(point.Sparse.Keys).ToList(),
            WithVectorsSelector.SelectorOptionsOneofCase.Include => selector.Include.Names.ToList(),
            _ => null,
        };
        if (names is null)
        {
            return null;
        }

        var output = new NamedVectorsOutput();
        foreach (var name in names)
        {
            if (point.Dense.TryGetValue(name, out var dense))
            {
                var d = new DenseVector();
                d.Data.Add(dense);
                output.Vectors[name] = new VectorOutput { Dense = d };
            }
            else if (point.Sparse.TryGetValue(name, out var sparse))
            {
                var s = new SparseVector();
                s.Indices.Add(sparse.Indices);
                s.Values.Add(sparse.Values);
                output.Vectors[name] = new VectorOutput { Sparse = s };
            }
        }

        return new VectorsOutput { Vectors = output };
    }
}

using Recommender.Contracts;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;
using ProtoFilter = Recommender.Contracts.Vector.V1.Filter;
using ProtoSparse = Recommender.Contracts.Vector.V1.SparseVector;
using SparseVector = Recommender.Embeddings.SparseVector;

namespace Recommender.Vector.Grpc;

/// <summary>Maps the internal vector API's messages to the store's types and back.</summary>
public static class VectorProtoMapping
{
    public static VectorFilter? ToFilter(this ProtoFilter? filter) =>
        filter is null
            ? null
            : new VectorFilter(
                filter.Must.Select(ToCondition).ToArray(),
                filter.Should.Select(ToCondition).ToArray(),
                filter.MustNot.Select(ToCondition).ToArray());

    public static ProtoFilter ToProto(this VectorFilter filter)
    {
        var proto = new ProtoFilter();
        proto.Must.Add(filter.Must.Select(ToProto));
        proto.Should.Add(filter.Should.Select(ToProto));
        proto.MustNot.Add(filter.MustNot.Select(ToProto));
        return proto;
    }

    /// <summary>The hits as a response, in order, the list sized once. The hits' stored points and what the mapping reads
    /// of them (the shared version, or the pin it converts when there is none) are usually not in cache (a search
    /// touches ~200 of the store's objects): each is prefetched a few hits ahead, so their misses overlap instead of
    /// stalling the mapping one by one (they were ~4% of a search's CPU).</summary>
    public static SearchResponse ToResponse(this IReadOnlyList<SearchHit> hits, bool withVectors)
    {
        const int ahead = 8;
        var response = new SearchResponse();
        response.Results.Capacity = hits.Count;
        for (var i = 0; i < Math.Min(hits.Count, 2 * ahead); i++)
        {
            MemoryPrefetch.Object(hits[i].Point);
        }

        for (var i = 0; i < Math.Min(hits.Count, ahead); i++)
        {
            MemoryPrefetch.Object(Read(hits[i].Point));
        }

        for (var i = 0; i < hits.Count; i++)
        {
            if (i + (2 * ahead) < hits.Count)
            {
                MemoryPrefetch.Object(hits[i + (2 * ahead)].Point);
            }

            if (i + ahead < hits.Count)
            {
                MemoryPrefetch.Object(Read(hits[i + ahead].Point));
            }

            response.Results.Add(hits[i].ToProto(withVectors));
        }

        return response;

        // What ToProto reads of a point: its shared version, or the pin it converts.
        static object Read(StoredPoint point) => (object?)point.Shared ?? point.Pin;
    }

    /// <summary>A hit as the wire message. A stored version the store shares (<see cref="StoredPoint.Shared"/>) gives
    /// its own message, built once for every response that shows it, and travels along in process
    /// (<see cref="ScoredPin.StoredPin"/>); other hits get a message built for this one.</summary>
    public static ScoredPin ToProto(this SearchHit hit, bool withVectors)
    {
        var scored = new ScoredPin
        {
            Pin = Message(hit.Point),
            StoredPin = hit.Point.Shared,
            Score = hit.Score,
            DenseScore = hit.DenseScore,
            SparseScore = hit.SparseScore,
        };
        if (withVectors && hit.Point.Dense.Length > 0)
        {
            scored.Dense.Add(hit.Point.Dense);
        }

        return scored;
    }

    /// <summary>A point as the wire message; a shared stored version's message as <see cref="ToProto(SearchHit, bool)"/>.</summary>
    public static VectorPoint ToProto(this StoredPoint point, bool withVectors)
    {
        var proto = new VectorPoint
        {
            Pin = Message(point),
            StoredPin = point.Shared,
            EmbedderVersion = point.EmbedderVersion,
        };
        if (withVectors)
        {
            proto.Dense.Add(point.Dense);
            proto.Sparse = point.Sparse.ToProto();
        }

        return proto;
    }

    /// <summary>A point's pin as the wire message: its shared version's, or one converted for this call.</summary>
    private static Contracts.Catalog.V1.Pin Message(StoredPoint point) => point.Shared?.Message ?? point.Pin.ToProto();

    private static FilterCondition ToCondition(Condition condition) => condition.KindCase switch
    {
        Condition.KindOneofCase.Keyword => new KeywordCondition(condition.Keyword.Field, condition.Keyword.Any.ToArray()),
        Condition.KindOneofCase.Range => new RangeCondition(
            condition.Range.Field,
            condition.Range.HasGt ? condition.Range.Gt : null,
            condition.Range.HasGte ? condition.Range.Gte : null,
            condition.Range.HasLt ? condition.Range.Lt : null,
            condition.Range.HasLte ? condition.Range.Lte : null),
        Condition.KindOneofCase.Nested => new NestedCondition(condition.Nested.ToFilter()!),
        _ => throw new ArgumentException("A filter condition has no kind."),
    };

    private static Condition ToProto(FilterCondition condition)
    {
        switch (condition)
        {
            case KeywordCondition k:
                var keyword = new KeywordMatch { Field = k.Field };
                keyword.Any.Add(k.Any);
                return new Condition { Keyword = keyword };
            case RangeCondition r:
                var range = new NumericRange { Field = r.Field };
                if (r.Gt is { } gt) { range.Gt = gt; }
                if (r.Gte is { } gte) { range.Gte = gte; }
                if (r.Lt is { } lt) { range.Lt = lt; }
                if (r.Lte is { } lte) { range.Lte = lte; }
                return new Condition { Range = range };
            case NestedCondition n:
                return new Condition { Nested = n.Filter.ToProto() };
            default:
                throw new ArgumentException($"Unsupported condition {condition.GetType().Name}.");
        }
    }
}

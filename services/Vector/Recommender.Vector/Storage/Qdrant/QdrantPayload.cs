using System.Text.Json;
using Google.Protobuf.Collections;
using Recommender.Contracts;
using Recommender.Vector.Qdrant.Grpc;
using QSparseVector = Recommender.Vector.Qdrant.Grpc.SparseVector;
using QVector = Recommender.Vector.Qdrant.Grpc.Vector;
using SparseVector = Recommender.Embeddings.SparseVector;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>
/// How a pin is laid out in a Qdrant point: named vectors "dense" (cosine) and "sparse" (IDF), and a payload with
/// the tenant, the pin as JSON, and the filterable fields normalised exactly as the embedded store normalises them
/// (lower-cased keywords, categories as a list, in_stock as "true"/"false", price as a number).
/// A deleted pin is a tombstone point: no vectors, payload {tenant, pin_id, version, deleted: true}.
/// </summary>
public static class QdrantPayload
{
    public const string DenseVector = "dense";
    public const string SparseVector = "sparse";

    public const string Tenant = "tenant";
    public const string PinId = "pin_id";
    public const string Pin = "pin";
    public const string Version = "version";
    public const string EmbedderVersion = "embedder_version";
    public const string Deleted = "deleted";

    /// <summary>Payload keys of the filter fields (the same names as <see cref="FilterFields"/>).</summary>
    public const string Brand = FilterFields.Brand;
    public const string Category = FilterFields.Category;
    public const string Colour = FilterFields.Colour;
    public const string InStock = FilterFields.InStock;
    public const string Price = FilterFields.Price;

    public static PointStruct ToPoint(StoredPoint point)
    {
        var pin = point.Pin;
        var result = new PointStruct { Id = new PointId { Uuid = QdrantPointId.For(pin.Tenant, pin.Id) } };
        var payload = result.Payload;
        payload[Tenant] = Text(pin.Tenant);
        payload[PinId] = Text(pin.Id);
        payload[Pin] = Text(JsonSerializer.Serialize(pin));
        payload[Version] = new Value { IntegerValue = pin.Version };
        payload[EmbedderVersion] = Text(point.EmbedderVersion);
        payload[Brand] = Text(FilterFields.NormalizeKeyword(pin.Brand));
        payload[Colour] = Text(FilterFields.NormalizeKeyword(pin.Colour));
        payload[InStock] = Text(pin.InStock ? "true" : "false");
        var categories = new ListValue();
        categories.Values.Add(pin.CategoryPath.Select(c => Text(FilterFields.NormalizeKeyword(c))));
        payload[Category] = new Value { ListValue = categories };
        if (pin.Price is { } price)
        {
            payload[Price] = new Value { DoubleValue = price };
        }

        var vectors = new NamedVectors();
        var dense = new DenseVector();
        dense.Data.Add(point.Dense);
        vectors.Vectors[DenseVector] = new QVector { Dense = dense };
        if (point.Sparse.Count > 0)
        {
            // An empty sparse vector is left out: the pin then does not count in the IDF statistics, as in the
            // embedded store.
            vectors.Vectors[SparseVector] = new QVector { Sparse = ToSparse(point.Sparse) };
        }

        result.Vectors = new Vectors { Vectors_ = vectors };
        return result;
    }

    public static PointStruct Tombstone(string tenant, string pinId, long version)
    {
        var result = new PointStruct
        {
            Id = new PointId { Uuid = QdrantPointId.For(tenant, pinId) },
            Vectors = new Vectors { Vectors_ = new NamedVectors() },
        };
        result.Payload[Tenant] = Text(tenant);
        result.Payload[PinId] = Text(pinId);
        result.Payload[Version] = new Value { IntegerValue = version };
        result.Payload[Deleted] = new Value { BoolValue = true };
        return result;
    }

    public static QSparseVector ToSparse(SparseVector sparse)
    {
        var result = new QSparseVector();
        result.Indices.Add(sparse.Indices.Select(i => (uint)i));
        result.Values.Add(sparse.Values);
        return result;
    }

    public static bool IsDeleted(MapField<string, Value> payload) =>
        payload.TryGetValue(Deleted, out var deleted) && deleted.KindCase == Value.KindOneofCase.BoolValue && deleted.BoolValue;

    /// <summary>The stored version (of a pin or a tombstone), or null when the payload does not say.</summary>
    public static long? VersionOf(MapField<string, Value> payload) =>
        payload.TryGetValue(Version, out var v)
            ? v.KindCase switch
            {
                Value.KindOneofCase.IntegerValue => v.IntegerValue,
                Value.KindOneofCase.DoubleValue => (long)v.DoubleValue,
                _ => null,
            }
            : null;

    public static string? StringOf(MapField<string, Value> payload, string key) =>
        payload.TryGetValue(key, out var v) && v.KindCase == Value.KindOneofCase.StringValue ? v.StringValue : null;

    /// <summary>Rebuilds the stored point of a live pin from Qdrant's answer.</summary>
    public static StoredPoint ToStoredPoint(MapField<string, Value> payload, VectorsOutput? vectors)
    {
        var json = StringOf(payload, Pin) ?? throw new InvalidDataException("A Qdrant point has no pin payload.");
        var pin = JsonSerializer.Deserialize<PinData>(json) ?? throw new InvalidDataException("A Qdrant point has an empty pin payload.");
        var named = vectors?.Vectors?.Vectors;
        float[] dense = [];
        var sparse = Embeddings.SparseVector.Empty;
        if (named is not null && named.TryGetValue(DenseVector, out var d))
        {
            dense = DenseOf(d);
        }

        if (named is not null && named.TryGetValue(SparseVector, out var s))
        {
            sparse = SparseOf(s);
        }

        return new StoredPoint(pin, dense, sparse, StringOf(payload, EmbedderVersion) ?? "");
    }

    private static Value Text(string value) => new() { StringValue = value };

    // Servers before the oneof encoding send vectors in the legacy fields; read those when the oneof is empty.
#pragma warning disable CS0612 // legacy fields are read only as a fallback
    private static float[] DenseOf(VectorOutput vector) =>
        vector.Dense is { } dense ? [.. dense.Data] : [.. vector.Data];

    private static SparseVector SparseOf(VectorOutput vector)
    {
        uint[] indices;
        float[] values;
        if (vector.Sparse is { } sparse)
        {
            indices = [.. sparse.Indices];
            values = [.. sparse.Values];
        }
        else
        {
            indices = vector.Indices is { } legacy ? [.. legacy.Data] : [];
            values = [.. vector.Data];
        }
#pragma warning restore CS0612

        // Our sparse vectors are sorted by term id; do not rely on the server's order.
        var order = Enumerable.Range(0, indices.Length).OrderBy(i => indices[i]).ToArray();
        return new SparseVector(order.Select(i => (int)indices[i]).ToArray(), order.Select(i => values[i]).ToArray());
    }
}

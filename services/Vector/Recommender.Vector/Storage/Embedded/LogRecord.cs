using System.Text.Json;
using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>One change to the store as written to its log and snapshot.</summary>
internal abstract record LogRecord
{
    private const byte UpsertOp = 1;
    private const byte DeleteOp = 2;

    public abstract void Write(BinaryWriter writer);

    public static LogRecord Read(BinaryReader reader)
    {
        var op = reader.ReadByte();
        return op switch
        {
            UpsertOp => UpsertRecord.ReadBody(reader),
            DeleteOp => new DeleteRecord(reader.ReadString(), reader.ReadString(), reader.ReadInt64()),
            _ => throw new InvalidDataException($"Unknown log operation {op}."),
        };
    }

    internal sealed record UpsertRecord(StoredPoint Point) : LogRecord
    {
        public override void Write(BinaryWriter writer)
        {
            writer.Write(UpsertOp);
            writer.Write(Point.EmbedderVersion);
            var json = JsonSerializer.SerializeToUtf8Bytes(Point.Pin);
            writer.Write(json.Length);
            writer.Write(json);
            writer.Write(Point.Dense.Length);
            foreach (var f in Point.Dense)
            {
                writer.Write(f);
            }

            writer.Write(Point.Sparse.Count);
            for (var i = 0; i < Point.Sparse.Count; i++)
            {
                writer.Write(Point.Sparse.Indices[i]);
                writer.Write(Point.Sparse.Values[i]);
            }
        }

        public static UpsertRecord ReadBody(BinaryReader reader)
        {
            var version = reader.ReadString();
            var json = reader.ReadBytes(reader.ReadInt32());
            var pin = JsonSerializer.Deserialize<PinData>(json) ?? throw new InvalidDataException("Empty pin record.");
            var dense = new float[reader.ReadInt32()];
            for (var i = 0; i < dense.Length; i++)
            {
                dense[i] = reader.ReadSingle();
            }

            var count = reader.ReadInt32();
            var indices = new int[count];
            var values = new float[count];
            for (var i = 0; i < count; i++)
            {
                indices[i] = reader.ReadInt32();
                values[i] = reader.ReadSingle();
            }

            return new UpsertRecord(new StoredPoint(pin, dense, new SparseVector(indices, values), version));
        }
    }

    internal sealed record DeleteRecord(string Tenant, string PinId, long Version) : LogRecord
    {
        public override void Write(BinaryWriter writer)
        {
            writer.Write(DeleteOp);
            writer.Write(Tenant);
            writer.Write(PinId);
            writer.Write(Version);
        }
    }
}

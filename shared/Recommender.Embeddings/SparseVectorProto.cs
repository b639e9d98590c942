using ProtoSparse = Recommender.Contracts.Vector.V1.SparseVector;

namespace Recommender.Embeddings;

/// <summary>Converts sparse vectors to and from the internal vector API's message (both sides use it).</summary>
public static class SparseVectorProto
{
    public static ProtoSparse ToProto(this SparseVector sparse)
    {
        var proto = new ProtoSparse();
        proto.Indices.Add(sparse.Indices.Select(i => (uint)i));
        proto.Values.Add(sparse.Values);
        return proto;
    }

    public static SparseVector ToSparse(this ProtoSparse? sparse) =>
        sparse is null ? SparseVector.Empty : new SparseVector(sparse.Indices.Select(i => (int)i).ToArray(), sparse.Values.ToArray());
}

namespace Recommender.Embeddings;

/// <summary>A sparse lexical vector: sorted, distinct term ids with their weights.</summary>
public sealed record SparseVector(int[] Indices, float[] Values)
{
    public static SparseVector Empty { get; } = new([], []);

    public int Count => Indices.Length;
}

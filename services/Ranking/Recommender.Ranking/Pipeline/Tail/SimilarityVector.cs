using Recommender.Embeddings;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>
/// A pin's dense vector as MMR compares it: int8 components with one scale (the largest magnitude / 127), a quarter of
/// the float vector's bytes. MMR's similarities are a list's most memory-bound work (each is a pass over two vectors, and
/// a list's vectors do not stay in cache between its picks), so they are computed on these copies: an exact integer dot
/// product (<see cref="Int8Vectors.Dot"/>) times the two scales. Each component is off by at most half a step, so for
/// unit vectors of the embedders' 256 dimensions the result is within about 1e-3 of the float cosine (more for short
/// vectors), which moves a pick only where two candidates' MMR values were within (1 - lambda) times that anyway.
/// A <see cref="RetrievedPin"/> keeps one per pin version, so a search does not quantize.
/// </summary>
public sealed class SimilarityVector
{
    private readonly sbyte[] _values;
    private readonly float _scale;

    private SimilarityVector(sbyte[] values, float scale)
    {
        _values = values;
        _scale = scale;
    }

    public int Dimensions => _values.Length;

    /// <summary>The int8 copy of <paramref name="vector"/> (<see cref="Int8Vectors.Quantize"/>: components rounded to
    /// the nearest step and clamped to +-127), or null for no vector. A vector with an infinite component compares as
    /// zero.</summary>
    public static SimilarityVector? From(float[]? vector)
    {
        if (vector is null)
        {
            return null;
        }

        var values = new sbyte[vector.Length];
        var scale = Int8Vectors.Quantize(vector, values);
        return new SimilarityVector(values, float.IsFinite(scale) ? scale : 0f);
    }

    /// <summary>The dot product of the two original vectors (their cosine for unit vectors), from the int8 copies;
    /// symmetric to the bit. Vectors of different lengths are not comparable: 0.</summary>
    public double Similarity(SimilarityVector other) =>
        other._values.Length == _values.Length ? Int8Vectors.Dot(_values, other._values) * ((double)_scale * other._scale) : 0;
}

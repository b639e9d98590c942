using System.Numerics.Tensors;

namespace Recommender.Vector.Storage;

/// <summary>
/// Qdrant's "average vector" recommendation: avg(positive) + (avg(positive) - avg(negative)), normalised for cosine.
/// </summary>
public static class RecommendTarget
{
    public static float[] Compute(IReadOnlyList<float[]> positive, IReadOnlyList<float[]> negative)
    {
        if (positive.Count == 0)
        {
            throw new ArgumentException("At least one positive example is needed.", nameof(positive));
        }

        var dims = positive[0].Length;
        var avgPositive = Average(positive, dims);
        var target = avgPositive;
        if (negative.Count > 0)
        {
            var avgNegative = Average(negative, dims);
            target = new float[dims];
            TensorPrimitives.Multiply(avgPositive, 2f, target);
            TensorPrimitives.Subtract(target, avgNegative, target);
        }

        var norm = TensorPrimitives.Norm(target);
        if (norm > 0)
        {
            TensorPrimitives.Divide(target, norm, target);
        }

        return target;
    }

    private static float[] Average(IReadOnlyList<float[]> vectors, int dims)
    {
        var sum = new float[dims];
        foreach (var v in vectors)
        {
            TensorPrimitives.Add(sum, v, sum);
        }

        TensorPrimitives.Divide(sum, vectors.Count, sum);
        return sum;
    }
}

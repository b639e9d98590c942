using System.Numerics.Tensors;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>MMR's int8 similarities: within about 1e-3 of the float cosine, symmetric, shared per pin version (the
/// integer kernels: Int8VectorsTests).</summary>
public sealed class SimilarityVectorTests
{
    /// <summary>Each component is off by at most half a step (its vector's largest magnitude / 254), so the error
    /// shrinks as the components do: about 1e-3 at the embedders' 256 dimensions, more for short vectors.</summary>
    [Theory]
    [InlineData(256, 1, 2e-3)]
    [InlineData(384, 2, 2e-3)]
    [InlineData(32, 3, 1e-2)]
    public void Similarity_UnitVectors_CloseToTheFloatCosine(int dimensions, int seed, double tolerance)
    {
        var random = new Random(seed);
        var worst = 0.0;
        for (var k = 0; k < 500; k++)
        {
            var a = Unit(random, dimensions);

            // Half the pairs near-duplicates (cosine near 1, where MMR's penalty bites), half unrelated.
            var b = k % 2 == 0 ? Unit(a.Select(x => x + (((float)random.NextDouble() - 0.5f) * 0.05f)).ToArray()) : Unit(random, dimensions);
            var expected = TensorPrimitives.Dot(a, b);
            var actual = SimilarityVector.From(a)!.Similarity(SimilarityVector.From(b)!);
            Assert.Equal(actual, SimilarityVector.From(b)!.Similarity(SimilarityVector.From(a)!)); // symmetric to the bit
            worst = Math.Max(worst, Math.Abs(actual - expected));
        }

        Assert.InRange(worst, 0, tolerance);
    }

    [Fact]
    public void Similarity_ZeroOrMismatchedVectors_Zero()
    {
        var zero = SimilarityVector.From(new float[8])!;
        var other = SimilarityVector.From([1, 0, 0, 0, 0, 0, 0, 0])!;
        Assert.Equal(0, zero.Similarity(other));
        Assert.Equal(0, other.Similarity(SimilarityVector.From([1, 0, 0, 0])!));
        Assert.Equal(1, other.Similarity(other), 1e-6);
        Assert.Null(SimilarityVector.From(null));
    }

    [Fact]
    public void Similarity_CandidatesOfOneRetrievedPin_ShareItsCopyUntilTheVectorChanges()
    {
        var pins = new RetrievedPins();
        var hit = new ScoredPin { Pin = new Pin { Id = "p", Tenant = "t", Title = "Lamp", Version = 1 }, Score = 1 };
        Assert.Null(pins.Of(hit).Similarity);
        hit.Dense.Add([0.6f, 0.8f]);
        var retrieved = pins.Of(hit);
        var first = new Candidate(retrieved.Pin, 0, 0, 0) { Vector = retrieved.Vector, Retrieved = retrieved };
        var second = new Candidate(retrieved.Pin, 0, 0, 0) { Vector = retrieved.Vector, Retrieved = retrieved };

        Assert.NotNull(first.Similarity);
        Assert.Same(retrieved.Similarity, first.Similarity);
        Assert.Same(first.Similarity, second.Similarity);

        // A vector of its own (not the retrieved pin's) gets a copy of its own; dropping the vector drops the copy.
        first.Vector = [1f, 0f];
        Assert.NotSame(retrieved.Similarity, first.Similarity);
        Assert.Equal(0.6, first.Similarity!.Similarity(retrieved.Similarity!), 2e-3);
        first.Vector = null;
        Assert.Null(first.Similarity);
    }

    private static float[] Unit(Random random, int dimensions) => Unit(Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray());

    private static float[] Unit(float[] v)
    {
        var norm = TensorPrimitives.Norm(v);
        return v.Select(x => x / norm).ToArray();
    }
}

using Recommender.Vector.Storage.Embedded;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>The int8 shortlist used on large segments: integer SIMD dot product, and recall of shortlist + exact
/// rescoring against the exact scan.</summary>
public sealed class QuantizedScanTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(70)]
    [InlineData(7)]
    public void Dot_MatchesScalarProduct(int dims)
    {
        var random = new Random(dims);
        var a = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var b = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();

        Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), QuantizedVectors.Dot(a, b));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(100)]
    [InlineData(7)]
    public void DotWithPreparedQuery_EqualsSignedDotProduct(int dims)
    {
        var random = new Random(dims);
        var vectors = new QuantizedVectors(dims);
        var stored = new List<float[]>();
        for (var slot = 0; slot < 20; slot++)
        {
            // Includes the extremes (+-127 after quantisation) and a zero vector.
            var v = slot == 3 ? new float[dims] : Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            vectors.Set(slot, v);
            stored.Add(v);
        }

        var query = new PreparedQuery(Enumerable.Range(0, dims).Select(i => i % 5 == 0 ? -1f : (float)random.NextDouble()).ToArray());

        for (var slot = 0; slot < stored.Count; slot++)
        {
            var expected = 0;
            var signed = vectors.At(slot);
            for (var i = 0; i < dims; i++)
            {
                expected += signed[i] * query.Signed[i];
            }

            Assert.Equal(expected, vectors.Dot(slot, query));
        }

        var u = Enumerable.Range(0, dims).Select(_ => (byte)random.Next(0, 256)).ToArray();
        var s = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        Assert.Equal(u.Zip(s, (x, y) => x * y).Sum(), QuantizedVectors.DotUnsigned(u, s));
    }

    [Fact]
    public void ScoreRange_AcrossBlocks_EqualsDotOfEverySlot()
    {
        const int dims = 64;
        var random = new Random(5);
        var vectors = new QuantizedVectors(dims);
        for (var slot = 0; slot < 17_000; slot++)
        {
            vectors.Set(slot, Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
        }

        var sparse = new float[dims];
        sparse[3] = 0.8f;
        sparse[40] = -0.5f;
        sparse[63] = 0.33f;
        foreach (var query in new[] { new PreparedQuery(sparse), new PreparedQuery(DenseQuery("boho wool rug")) })
        {
            var scores = new int[16_900];

            vectors.ScoreRange(100, 17_000, query, scores);

            for (var slot = 100; slot < 17_000; slot++)
            {
                Assert.Equal(vectors.Dot(slot, query), scores[slot - 100]);
            }
        }
    }

    [Fact]
    public void Quantize_KeepsDirectionWithinOnePercent()
    {
        var v = DenseQuery("boho wool rug");
        var q = new sbyte[v.Length];

        var scale = QuantizedVectors.Quantize(v, q);

        var restored = q.Select(x => x * scale).ToArray();
        var cosine = v.Zip(restored, (x, y) => x * y).Sum() / MathF.Sqrt(restored.Sum(x => x * x));
        Assert.True(cosine > 0.99f, $"cosine {cosine}");
        Assert.Equal(127, q.Max(x => Math.Abs((int)x)));
    }

    [Fact]
    public void DenseTop_OnQuantisedSegment_ShortlistsWithInt8AndRescoresExactly()
    {
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50, RescoreFactor = 1 };
        var segment = new Segment(Dimensions, new KeywordTable(), new TermStats(), options);
        for (var i = 0; i < 600; i++)
        {
            segment.Upsert(Pin(Acme, i));
        }

        Assert.True(segment.Quantized);
        var recall = 0.0;
        // Short queries have few non-zero int8 dimensions and are scored column by column; longer ones by rows.
        var queries = new[] { "boho wool rug", "wireless mouse", "modern lamp", "vintage chair", "compact keyboard", "cotton desk", "rug", "lamp", "boho modern wool rug with vintage cotton chairs" };
        Assert.True(QuantizedVectors.PrefersColumns(new PreparedQuery(DenseQuery("rug"))));
        Assert.False(QuantizedVectors.PrefersColumns(new PreparedQuery(DenseQuery("boho modern wool rug with vintage cotton chairs"))));
        foreach (var text in queries)
        {
            var query = DenseQuery(text);
            var exact = segment.ExactTop(query, null, 10);
            var approx = segment.DenseTop(query, null, 10);

            // Rescored exactly: every returned score is the true cosine, best first.
            Assert.All(approx, h => Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(segment.VectorAt(h.Entry.Slot), query), h.Score));
            Assert.Equal(approx.OrderByDescending(h => h.Score).Select(h => h.Entry.Slot), approx.Select(h => h.Entry.Slot));
            recall += approx.Select(h => h.Entry.Slot).Intersect(exact.Select(h => h.Entry.Slot)).Count() / 10.0;
        }

        Assert.True(recall / queries.Length >= 0.95, $"recall@10 {recall / queries.Length}");
    }
}

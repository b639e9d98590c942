using System.Numerics.Tensors;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>The 4-bit first pass of the quantised scan (<see cref="QuantizedVectors.ScoreNibbleRows"/>), the shortlist
/// keys it is selected by (<see cref="ShortlistKeys"/>), and the scan's fallback when its sampled bar is too high.</summary>
public sealed class CoarseScanTests
{
    [Theory]
    [InlineData(64, 17_001)]
    [InlineData(256, 203)]
    public void ScoreNibbleRows_AcrossBlocksAndRemainders_EqualsTheCodesDotProduct(int dims, int slots)
    {
        var random = new Random(dims);
        var vectors = new QuantizedVectors(dims);
        var codes = new List<int[]>();
        for (var slot = 0; slot < slots; slot++)
        {
            // Slot 5 is a zero vector (every code 8, scale 0).
            var v = slot == 5 ? new float[dims] : Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            vectors.Set(slot, v);
            var max = v.Max(Math.Abs);
            codes.Add(v.Select(x => max == 0 ? 0 : (int)Math.Clamp(MathF.Round(x / (max / 7f)), -7, 7)).ToArray());
        }

        Assert.True(vectors.HasNibbles);
        var query = new PreparedQuery(Enumerable.Range(0, dims).Select(i => i % 3 == 0 ? -0.7f : (float)random.NextDouble()).ToArray());
        const int from = 1;
        var scores = new int[slots - from];

        vectors.ScoreNibbleRows(from, slots, query, scores);

        for (var slot = from; slot < slots; slot++)
        {
            var expected = 0;
            for (var d = 0; d < dims; d++)
            {
                expected += query.Signed[d] * codes[slot][d];
            }

            Assert.Equal(expected, scores[slot - from]);
        }

        Assert.Equal(0f, vectors.NibbleScales[5]);
    }

    [Fact]
    public void QuantizeNibbles_RealEmbedding_KeepsDirectionAndUsesTheFullRange()
    {
        var v = TestPins.DenseQuery("boho wool rug with vintage cotton chairs");
        var packed = new byte[v.Length / 2];

        var scale = QuantizedVectors.QuantizeNibbles(v, packed);

        var restored = new float[v.Length];
        for (var g = 0; g < v.Length; g += 64)
        {
            for (var b = 0; b < 32; b++)
            {
                restored[g + b] = ((packed[(g / 2) + b] & 0xF) - 8) * scale;
                restored[g + 32 + b] = ((packed[(g / 2) + b] >> 4) - 8) * scale;
            }
        }

        var cosine = TensorPrimitives.CosineSimilarity(v, restored);
        Assert.True(cosine > 0.9f, $"cosine {cosine}");
        Assert.Equal(7f * scale, restored.Max(MathF.Abs), 5);
    }

    [Fact]
    public void Key_OrdersByScoreThenLowerSlotAndGivesBothBack()
    {
        float[] scores = [-3.5f, -0f, 0f, 1e-20f, 0.25f, 0.25f, 7f, float.NegativeInfinity, -1e-20f];
        var keys = scores.Select((s, slot) => (Key: ShortlistKeys.Key(s, slot), Score: s, Slot: slot)).ToList();

        var byKey = keys.OrderByDescending(k => k.Key).Select(k => k.Slot);
        var expected = keys.OrderByDescending(k => k.Score).ThenBy(k => k.Slot).Select(k => k.Slot);

        // -0 and +0 compare equal as floats but not as keys: +0 first; otherwise the float order, ties to the lower slot.
        Assert.Equal([6, 4, 5, 3, 2, 1, 8, 0, 7], byKey);
        Assert.Equal(expected.Where(s => s is not 1 and not 2), byKey.Where(s => s is not 1 and not 2));
        Assert.All(keys, k => Assert.Equal(k.Slot, ShortlistKeys.Slot(k.Key)));

        // The score comes back bit for bit (the sign of -0 included).
        Assert.All(keys, k => Assert.Equal(BitConverter.SingleToUInt32Bits(k.Score), BitConverter.SingleToUInt32Bits(ShortlistKeys.Score(k.Key))));
    }

    [Theory]
    [InlineData(1_000, 1)]
    [InlineData(1_000, 400)]
    [InlineData(1_000, 999)]
    [InlineData(37, 36)]
    public void SelectTop_RandomKeys_MovesTheLargestToTheFront(int count, int k)
    {
        var random = new Random(count + k);

        // Few distinct scores: many equal high halves, as ties of int8 scores give.
        var keys = Enumerable.Range(0, count).Select(slot => ShortlistKeys.Key(random.Next(0, 20), slot)).ToArray();
        var expected = keys.OrderDescending().Take(k).Order().ToArray();

        ShortlistKeys.SelectTop(keys, k);

        Assert.Equal(expected, keys.Take(k).Order());
    }

    [Theory]
    [InlineData(2_750, 792, false)]
    [InlineData(2_750, 792, true)]
    [InlineData(2, 1, false)]
    [InlineData(3, 2, true)]
    public void SelectTop_AlreadyOrderedKeys_MovesTheLargestToTheFront(int count, int k, bool descending)
    {
        // Sorted input is where a poor pivot choice degrades; the median of three keeps it linear and exact.
        var keys = Enumerable.Range(0, count).Select(i => (ulong)i * 3).ToArray();
        if (descending)
        {
            Array.Reverse(keys);
        }

        ShortlistKeys.SelectTop(keys, k);

        Assert.Equal(Enumerable.Range(count - k, k).Select(i => (ulong)i * 3), keys.Take(k).Order());
    }

    [Fact]
    public void SelectTop_RepeatedKeys_KeepsTheLargestAndEndsWithAPermutation()
    {
        // Keys are distinct in use (the slot is in them), but a repeated key must not loop or lose a value.
        var keys = Enumerable.Range(0, 500).Select(i => (ulong)(i % 7)).ToArray();
        var before = keys.Order().ToArray();

        ShortlistKeys.SelectTop(keys, 100);

        Assert.All(keys.Take(100), key => Assert.True(key >= 5, $"{key} is not among the 100 largest"));
        Assert.Equal(before, keys.Order());
    }

    /// <summary>Every 16th slot (the bar's samples) is near the query and every other slot far: the sampled bar then
    /// lets only ~rank slots through, fewer than the shortlist, and the scan must collect again without it.</summary>
    [Fact]
    public void DenseTop_BarEstimatedTooHigh_CollectsAgainAndFindsTheExactTop()
    {
        const int dims = 64;

        // Float rescoring, so the exact top is the answer to compare with (the int8 estimates may swap near ties).
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50, FloatRescore = true };
        var segment = new Segment(dims, new KeywordTable(), new TermStats(), options);
        var random = new Random(11);
        var query = Normalize(Enumerable.Range(0, dims).Select(_ => (float)random.NextDouble()).ToArray());
        for (var slot = 0; slot < 3_200; slot++)
        {
            var noise = Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            var v = slot % 16 == 0 ? query.Zip(noise, (q, n) => q + (0.1f * n)).ToArray() : noise;
            segment.Upsert(new StoredPoint(new PinData { Id = $"p{slot:D5}", Tenant = "t", Title = "x", Version = 1 }, Normalize(v), SparseVector.Empty, "v"));
        }

        Assert.True(segment.Quantized);

        var approx = segment.DenseTop(query, null, 50);

        Assert.Equal(segment.ExactTop(query, null, 50).Select(h => h.Entry.Slot), approx.Select(h => h.Entry.Slot));
    }

    /// <summary>A filter that selects more than half the slots walks them in order with the bitmap: only selected pins
    /// come back, and the coarse pass keeps recall against the exact scan of the selection.</summary>
    [Fact]
    public void DenseTop_SelectionOverHalf_ReturnsOnlySelectedPinsAtExactRecall()
    {
        var embedder = LocalEmbedderLoader.Load(new EmbeddingOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var pins = QuantizedScanTests.IcecatSample();
        var keywords = new KeywordTable();
        var segment = new Segment(embedder.Dimensions, keywords, new TermStats(), new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50 });
        for (var i = 0; i < pins.Count; i++)
        {
            var dense = new float[embedder.Dimensions];
            embedder.Embed(PinText.Of(pins[i]), dense);
            segment.Upsert(new StoredPoint(pins[i] with { InStock = i % 3 != 0 }, dense, SparseVector.Empty, "default"));
        }

        var filter = CompiledFilter.Compile(new VectorFilter([new KeywordCondition(FilterFields.InStock, ["true"])], [], []), keywords);
        using var selection = segment.Select(filter, null);
        Assert.NotNull(selection);
        Assert.InRange(selection.Count * 2, pins.Count + 1, pins.Count * 2);
        var kept = 0;
        var asked = 0;
        foreach (var pin in pins.Where((_, i) => i % 60 == 0))
        {
            var query = new float[embedder.Dimensions];
            embedder.Embed(string.Join(' ', pin.Title.Split(' ').Take(3)), query);

            var approx = segment.DenseTop(query, selection, 100);

            Assert.All(approx, h => Assert.True(h.Entry.Point.Pin.InStock));
            var exact = segment.ExactTop(query, selection, 100).Select(h => h.Entry.Slot).ToHashSet();
            kept += approx.Count(h => exact.Contains(h.Entry.Slot));
            asked += exact.Count;
        }

        Assert.True(kept >= asked * 0.99, $"recall@100 {(double)kept / asked:F4}");
    }

    private static float[] Normalize(float[] v)
    {
        var norm = TensorPrimitives.Norm(v);
        return v.Select(x => x / norm).ToArray();
    }
}

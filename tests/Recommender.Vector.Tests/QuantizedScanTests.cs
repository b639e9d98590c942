using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
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

        Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), Int8Vectors.Dot(a, b));
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
            var v = slot == 3 ? new float[dims] : RandomVector(random, dims);
            vectors.Set(slot, v);
            stored.Add(v);
        }

        var query = MixedQuery(random, dims);

        for (var slot = 0; slot < stored.Count; slot++)
        {
            Assert.Equal(ScalarDot(vectors, slot, query), vectors.Dot(slot, query));
        }

        var u = Enumerable.Range(0, dims).Select(_ => (byte)random.Next(0, 256)).ToArray();
        var s = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        Assert.Equal(u.Zip(s, (x, y) => x * y).Sum(), QuantizedVectors.DotUnsigned(u, s));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(64)]
    [InlineData(48)]
    public void ScoreSlots_ScatteredSlotsAcrossBlocks_EqualsScalarDotOfEach(int dims)
    {
        var random = new Random(dims);
        var vectors = new QuantizedVectors(dims);
        const int count = 17_000;
        for (var slot = 0; slot < count; slot++)
        {
            // Slot 7 is a zero vector; the rest are random (their extremes quantise to +-127).
            vectors.Set(slot, slot == 7 ? new float[dims] : RandomVector(random, dims));
        }

        // A selection's walk order: slots from both blocks (16,384 slots each), not ascending, 4k + 3 of them.
        var slots = Enumerable.Range(0, 403).Select(_ => random.Next(count)).Append(7).Append(16_383).Append(16_384).ToArray();
        var query = MixedQuery(random, dims);
        var scores = new int[slots.Length];

        vectors.ScoreSlots(slots, query, scores);

        for (var i = 0; i < slots.Length; i++)
        {
            Assert.Equal(ScalarDot(vectors, slots[i], query), scores[i]);
        }
    }

    [Fact]
    public void ScoreRange_AcrossBlocks_EqualsDotOfEverySlot()
    {
        const int dims = 64;
        var random = new Random(5);
        var vectors = new QuantizedVectors(dims);
        for (var slot = 0; slot < 17_000; slot++)
        {
            vectors.Set(slot, RandomVector(random, dims));
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

        var scale = Int8Vectors.Quantize(v, q);

        var restored = q.Select(x => x * scale).ToArray();
        var cosine = v.Zip(restored, (x, y) => x * y).Sum() / MathF.Sqrt(restored.Sum(x => x * x));
        Assert.True(cosine > 0.99f, $"cosine {cosine}");
        Assert.Equal(127, q.Max(x => Math.Abs((int)x)));
    }

    [Fact]
    public void DenseTop_FloatRescoreOn_ShortlistsWithInt8AndRescoresExactly()
    {
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50, RescoreFactor = 1, FloatRescore = true };
        var segment = QuantisedSegment(options);
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

    /// <summary>The default: the int8 pass's scores are final. Each is the int8 estimate of the cosine (the integer dot
    /// of both int8 copies times both scales), close to the exact cosine, best first, and the hits are nearly the exact
    /// scan's; by columns (short queries) and by rows alike.</summary>
    [Fact]
    public void DenseTop_FloatRescoreOff_ReturnsTheInt8EstimatesOfTheCosine()
    {
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50 };
        Assert.False(options.FloatRescore);
        var segment = QuantisedSegment(options);
        var recall = 0.0;
        var queries = new[] { "boho wool rug", "wireless mouse", "modern lamp", "vintage chair", "rug", "lamp", "boho modern wool rug with vintage cotton chairs" };
        foreach (var text in queries)
        {
            var query = DenseQuery(text);
            var exact = segment.ExactTop(query, null, 10);
            var estimated = segment.DenseTop(query, null, 10);

            Assert.Equal(10, estimated.Count);
            Assert.All(estimated, h =>
            {
                Assert.Equal(Int8Estimate(segment.VectorAt(h.Entry.Slot), query), h.Score);
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(segment.VectorAt(h.Entry.Slot), query), h.Score, 0.02f);
            });
            Assert.Equal(estimated.OrderByDescending(h => h.Score).Select(h => h.Entry.Slot), estimated.Select(h => h.Entry.Slot));
            recall += estimated.Select(h => h.Entry.Slot).Intersect(exact.Select(h => h.Entry.Slot)).Count() / 10.0;
        }

        Assert.True(recall / queries.Length >= 0.9, $"recall@10 {recall / queries.Length}");
    }

    /// <summary>Duplicate products (the same vector under several ids, arrived out of id order) tie on their int8
    /// estimates: each run of equal scores comes back by ordinal id, by columns and by rows alike.</summary>
    [Fact]
    public void DenseTop_DuplicateVectorsWithFloatRescoreOff_OrdersEqualEstimatesById()
    {
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50 };
        var segment = new Segment(Dimensions, new KeywordTable(), new TermStats(), options);
        foreach (var i in Enumerable.Range(0, 600).OrderBy(i => (i * 7919) % 600))
        {
            var original = Pin(Acme, i % 60);
            segment.Upsert(original with { Pin = original.Pin with { Id = $"dup-{(i * 37) % 600:D3}" } });
        }

        Assert.True(segment.Quantized);
        foreach (var text in new[] { "boho wool rug", "lamp", "boho modern wool rug with vintage cotton chairs" })
        {
            var hits = segment.DenseTop(DenseQuery(text), null, 45);

            Assert.Equal(45, hits.Count);
            var ties = 0;
            for (var i = 1; i < hits.Count; i++)
            {
                Assert.True(hits[i - 1].Score >= hits[i].Score);
                if (hits[i - 1].Score == hits[i].Score)
                {
                    ties++;
                    Assert.True(string.CompareOrdinal(hits[i - 1].Entry.Point.Pin.Id, hits[i].Entry.Point.Pin.Id) < 0,
                        $"{hits[i - 1].Entry.Point.Pin.Id} before {hits[i].Entry.Point.Pin.Id} at {hits[i].Score}");
                }
            }

            Assert.True(ties >= 30, $"only {ties} ties for '{text}'");
        }
    }

    /// <summary>A hybrid hit that only the sparse branch found gets the same kind of dense score as the dense branch's
    /// hits: the int8 estimate of the cosine by default, the exact cosine with float rescoring.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fuse_SparseOnlyHitsOnAQuantisedSegment_GetTheDenseBranchsKindOfScore(bool floatRescore)
    {
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50, FloatRescore = floatRescore };
        var segment = QuantisedSegment(options);
        var query = DenseQuery("boho wool rug");
        var dense = segment.DenseTop(query, null, 20);
        var sparse = segment.SparseTop(SparseQuery("compact keyboard"), null, 20);
        var denseIds = dense.Select(h => h.Entry.Point.Pin.Id).ToHashSet();

        var fused = SlotFusion.Fuse(segment, dense, sparse, query, 40, withVectors: false);

        var sparseOnly = fused.Where(h => !denseIds.Contains(h.Point.Pin.Id)).ToList();
        Assert.True(sparseOnly.Count >= 10, $"only {sparseOnly.Count} sparse-only hits");
        Assert.All(sparseOnly, h =>
        {
            var vector = segment.VectorAt(segment.Entries.Single(e => e.Point.Pin.Id == h.Point.Pin.Id).Slot);
            var exact = System.Numerics.Tensors.TensorPrimitives.Dot(vector, query);
            Assert.Equal(floatRescore ? exact : Int8Estimate(vector, query), h.DenseScore);
            Assert.Equal(exact, h.DenseScore, 0.02f);
        });
    }

    [Fact]
    public void DenseTop_AllZeroQueryOnPinsArrivedOutOfIdOrder_ReturnsTheFirstPinsByIdWithScoreZero()
    {
        // A text of stop words embeds to the zero vector: every pin ties at 0. The answer must not depend on the order
        // the pins arrived in (slots), only on their ids, with or without a filter.
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50 };
        var segment = new Segment(Dimensions, new KeywordTable(), new TermStats(), options);
        var order = Enumerable.Range(0, 600).OrderBy(i => (i * 7919) % 600).ToList();
        foreach (var i in order)
        {
            segment.Upsert(Pin(Acme, i));
        }

        Assert.True(segment.Quantized);
        var ids = Enumerable.Range(0, 600).Select(i => Pin(Acme, i).Pin.Id).Order(StringComparer.Ordinal).ToList();
        var hits = segment.DenseTop(new float[Dimensions], null, 20);
        Assert.Equal(ids.Take(20), hits.Select(h => h.Entry.Point.Pin.Id));
        Assert.All(hits, h => Assert.Equal(0f, h.Score));

        var selection = segment.Select(null, ids.Where((_, i) => i % 2 == 0).ToList());
        var filtered = segment.DenseTop(new float[Dimensions], selection, 20);
        Assert.Equal(ids.Where((_, i) => i % 2 == 1).Take(20), filtered.Select(h => h.Entry.Point.Pin.Id));
    }

    /// <summary>The default shortlist on real products with the default embedder: the committed Icecat sample embedded
    /// by the shipped catalog embedder, a quantised segment (thresholds lowered so 3,000 pins use the int8 scan), and
    /// product-type queries made from the sample's titles. The int8 shortlist with exact rescoring must find the exact
    /// top 200 (docs/vector.md has the 55,000-pin numbers from the load client's --recall).</summary>
    [Fact]
    public void DenseTop_IcecatSampleWithDefaultEmbedderAndShortlist_KeepsTheExactTop200()
    {
        var embedder = LocalEmbedderLoader.Load(new EmbeddingOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.IsNotType<HashingEmbedder>(embedder);
        var pins = IcecatSample();
        var options = new EmbeddedStoreOptions { QuantizeThreshold = 100, ExactScanLimit = 50 };
        var segment = new Segment(embedder.Dimensions, new KeywordTable(), new TermStats(), options);
        foreach (var pin in pins)
        {
            var dense = new float[embedder.Dimensions];
            embedder.Embed(PinText.Of(pin), dense);
            segment.Upsert(new StoredPoint(pin, dense, SparseVector.Empty, "default"));
        }

        Assert.True(segment.Quantized);
        var kept = 0;
        var asked = 0;
        foreach (var pin in pins.Where((_, i) => i % 30 == 0))
        {
            var query = new float[embedder.Dimensions];
            embedder.Embed(string.Join(' ', pin.Title.Split(' ').Take(3)), query);
            var exact = segment.ExactTop(query, null, 200).Select(h => h.Entry.Slot).ToHashSet();
            kept += segment.DenseTop(query, null, 200).Count(h => exact.Contains(h.Entry.Slot));
            asked += exact.Count;
        }

        Assert.True(kept >= asked * 0.99, $"recall@200 {(double)kept / asked:F4} over {asked / 200} queries");
    }

    /// <summary>Components uniform in [-1, 1): the largest of each vector quantises to +-127.</summary>
    private static float[] RandomVector(Random random, int dims) =>
        Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    /// <summary>A query with negative and positive components (every fifth is -1).</summary>
    private static PreparedQuery MixedQuery(Random random, int dims) =>
        new(Enumerable.Range(0, dims).Select(i => i % 5 == 0 ? -1f : (float)random.NextDouble()).ToArray());

    /// <summary>The slot's int8 row dotted with the query's int8 components, one product at a time (the reference).</summary>
    private static int ScalarDot(QuantizedVectors vectors, int slot, PreparedQuery query)
    {
        var row = vectors.At(slot);
        var sum = 0;
        for (var d = 0; d < row.Length; d++)
        {
            sum += row[d] * query.Signed[d];
        }

        return sum;
    }

    /// <summary>Acme's first 600 pins in a segment that keeps int8 copies (thresholds lowered so they are used).</summary>
    private static Segment QuantisedSegment(EmbeddedStoreOptions options)
    {
        var segment = new Segment(Dimensions, new KeywordTable(), new TermStats(), options);
        for (var i = 0; i < 600; i++)
        {
            segment.Upsert(Pin(Acme, i));
        }

        Assert.True(segment.Quantized);
        return segment;
    }

    /// <summary>The int8 estimate of the cosine, computed independently of the store: the integer dot of both int8
    /// copies times both scales.</summary>
    private static float Int8Estimate(ReadOnlySpan<float> vector, float[] query)
    {
        var q = new sbyte[Dimensions];
        var queryScale = Int8Vectors.Quantize(query, q);
        var v = new sbyte[Dimensions];
        var scale = Int8Vectors.Quantize(vector, v);
        return Int8Vectors.Dot(q, v) * scale * queryScale;
    }

    internal static List<PinData> IcecatSample()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "SampleData", "icecat-sample.jsonl.gz"));
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress));
        var pins = new List<PinData>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            var root = json.RootElement;
            string Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : "";
            pins.Add(new PinData { Id = Text("id"), Tenant = "icecat", Title = Text("title"), Brand = Text("brand"), Description = Text("description"), Version = 1 });
        }

        return pins;
    }
}

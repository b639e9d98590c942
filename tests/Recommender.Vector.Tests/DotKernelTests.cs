using Microsoft.Extensions.Logging;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>Every integer kernel (<see cref="DotKernel"/>) that this machine supports gives exactly the integers of a
/// product-by-product reference: for one row, scattered rows, consecutive rows and the 4-bit codes, on random values
/// and on the extremes where a kernel's int16 step would saturate if it summed too much. A kernel the machine lacks is
/// skipped with the reason (AVX-VNNI needs AMD Zen 5 or Intel Alder Lake and later).</summary>
public sealed class DotKernelTests
{
    public static TheoryData<string, int> KernelsAndWidths()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in Enum.GetNames<DotKernel>())
        {
            foreach (var dims in new[] { 512, 256, 64, 100, 7 })
            {
                data.Add(kernel, dims);
            }
        }

        return data;
    }

    /// <summary>The kernels with the widths that have 4-bit codes (multiples of 64).</summary>
    public static TheoryData<string, int> KernelsAndCodeWidths()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in Enum.GetNames<DotKernel>())
        {
            foreach (var dims in new[] { 512, 256, 64 })
            {
                data.Add(kernel, dims);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndWidths))]
    public void Dot_RandomAndExtremeRows_EqualsTheProductSum(string kernel, int dims)
    {
        var (vectors, rows) = Store(dims, slots: 40, seed: dims);

        foreach (var query in Queries(Supported(kernel), dims))
        {
            for (var slot = 0; slot < rows.Count; slot++)
            {
                Assert.Equal(Reference(rows[slot], query.Signed), vectors.Dot(slot, query));
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndWidths))]
    public void ScoreSlots_ScatteredRowsAcrossBlocks_EqualsTheProductSumOfEach(string kernel, int dims)
    {
        var (vectors, rows) = Store(dims, slots: 16_400, seed: dims);
        var random = new Random(dims);
        // Both blocks (16,384 slots each), not ascending, 4k + 3 of them, the extremes among them.
        var slots = Enumerable.Range(0, 100).Select(_ => random.Next(rows.Count)).Concat([0, 1, 2, 3, 16_383, 16_384, 16_399]).ToArray();
        var scores = new int[slots.Length];

        foreach (var query in Queries(Supported(kernel), dims))
        {
            vectors.ScoreSlots(slots, query, scores);

            Assert.Equal(slots.Select(s => Reference(rows[s], query.Signed)), scores);
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndWidths))]
    public void ScoreInt8Rows_ConsecutiveRows_EqualsTheProductSumOfEach(string kernel, int dims)
    {
        var (_, rows) = Store(dims, slots: 43, seed: dims);
        var packed = rows.SelectMany(r => r).ToArray();
        var sums = rows.Select(r => r.Sum(x => (int)x)).ToArray();
        var scores = new int[rows.Count];

        foreach (var query in Queries(Supported(kernel), dims))
        {
            QuantizedVectors.ScoreInt8Rows(query, packed, sums, scores);

            Assert.Equal(rows.Select(r => Reference(r, query.Signed)), scores);
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndCodeWidths))]
    public void ScoreNibbleCodes_RandomAndExtremeCodes_EqualsTheProductSumOfEach(string kernel, int dims)
    {
        var vectors = Vectors(dims, seed: dims);
        var width = dims / 2;
        var packed = new byte[vectors.Count * width];
        var codes = new List<int[]>();
        for (var r = 0; r < vectors.Count; r++)
        {
            var v = vectors[r];
            QuantizedVectors.QuantizeNibbles(v, packed.AsSpan(r * width, width));
            var max = v.Max(Math.Abs);
            codes.Add(v.Select(x => max == 0 ? 0 : (int)Math.Clamp(MathF.Round(x / (max / 7f)), -7, 7)).ToArray());
        }

        var scores = new int[vectors.Count];
        foreach (var query in Queries(Supported(kernel), dims))
        {
            QuantizedVectors.ScoreNibbleCodes(query, packed, scores);

            Assert.Equal(codes.Select(c => c.Zip(query.Signed, (x, q) => x * q).Sum()), scores);
        }
    }

    [Fact]
    public void EmbeddedStore_Created_LogsTheKernelItsScansUse()
    {
        var logger = new ListLogger();

        using var store = new EmbeddedVectorStore(
            Microsoft.Extensions.Options.Options.Create(new EmbeddedStoreOptions { DataPath = "" }),
            Microsoft.Extensions.Options.Options.Create(new VectorSearchOptions()),
            new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ContentRootPath = Path.GetTempPath() },
            logger);

        var kernel = Assert.Single(logger.Messages, m => m.Id == 3007);
        Assert.Equal(LogLevel.Information, kernel.Level);
        Assert.Contains($"with the {PreparedQuery.Best} kernel", kernel.Text, StringComparison.Ordinal);
        Assert.Equal(PreparedQuery.Best.ToString(), EmbeddedVectorStore.IntegerKernel);
        Assert.True(PreparedQuery.IsSupported(PreparedQuery.Best));
    }

    private static DotKernel Supported(string name)
    {
        var kernel = Enum.Parse<DotKernel>(name);
        if (!PreparedQuery.IsSupported(kernel))
        {
            Assert.Skip($"This machine has no {kernel} instructions.");
        }

        return kernel;
    }

    /// <summary>A random query with negative components, and the extremes: every value -127, and +-127 alternating.</summary>
    private static IEnumerable<PreparedQuery> Queries(DotKernel kernel, int dims)
    {
        var random = new Random(dims + 1);
        yield return new PreparedQuery(Enumerable.Range(0, dims).Select(i => i % 5 == 0 ? -1f : (float)random.NextDouble()).ToArray(), kernel);
        yield return new PreparedQuery(Enumerable.Repeat(-1f, dims).ToArray(), kernel);
        yield return new PreparedQuery(Enumerable.Range(0, dims).Select(i => i % 2 == 0 ? 1f : -1f).ToArray(), kernel);
    }

    /// <summary>Random vectors, a zero one, and the extremes (every int8 value +127, -127, or alternating; every 4-bit
    /// code 15 or 1).</summary>
    private static List<float[]> Vectors(int dims, int seed, int count = 40)
    {
        var random = new Random(seed);
        var vectors = new List<float[]>
        {
            Enumerable.Repeat(1f, dims).ToArray(),
            Enumerable.Repeat(-1f, dims).ToArray(),
            Enumerable.Range(0, dims).Select(i => i % 2 == 0 ? -1f : 1f).ToArray(),
            new float[dims],
        };
        while (vectors.Count < count)
        {
            vectors.Add(Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
        }

        return vectors;
    }

    private static (QuantizedVectors Vectors, List<sbyte[]> Rows) Store(int dims, int slots, int seed)
    {
        var store = new QuantizedVectors(dims);
        var rows = new List<sbyte[]>();
        foreach (var (v, slot) in Vectors(dims, seed, slots).Select((v, i) => (v, i)))
        {
            store.Set(slot, v);
            rows.Add(store.At(slot).ToArray());
        }

        return (store, rows);
    }

    private static int Reference(sbyte[] row, sbyte[] query) => row.Zip(query, (a, b) => a * b).Sum();

    private sealed class ListLogger : ILogger<EmbeddedVectorStore>
    {
        public List<(int Id, LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}

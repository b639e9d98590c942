using BenchmarkDotNet.Attributes;
using Recommender.Embeddings;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Benchmarks;

/// <summary>
/// The integer kernels (<see cref="DotKernel"/>) that this machine has, at the sizes one dense search of the load mix
/// uses at 55,000 pins (256 dimensions): ranking 1,876 cluster means (int8 rows), scoring 2,750 listed 4-bit codes (the
/// walk's probe budget), and 792 scattered int8 rows (the coarse shortlist the int8 rows refine). Random unit vectors;
/// the cost of a kernel does not depend on the values. One operation = one such call.
/// </summary>
public class KernelBenchmarks
{
    private const int Dimensions = 256;
    private const int Means = 1_876;
    private const int Codes = 2_752;
    private const int Shortlist = 792;
    private const int Pins = 55_000;

    private PreparedQuery _query = null!;
    private sbyte[] _meanRows = [];
    private int[] _meanSums = [];
    private byte[] _codes = [];
    private QuantizedVectors _vectors = null!;
    private int[] _slots = [];
    private int[] _scores = [];

    public static IEnumerable<string> Kernels => Enum.GetNames<DotKernel>().Where(k => PreparedQuery.IsSupported(Enum.Parse<DotKernel>(k)));

    [ParamsSource(nameof(Kernels))]
    public string Kernel { get; set; } = nameof(DotKernel.Portable);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(18);
        float[] Unit()
        {
            var v = Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }

        _query = new PreparedQuery(Unit(), Enum.Parse<DotKernel>(Kernel));
        _meanRows = new sbyte[Means * Dimensions];
        _meanSums = new int[Means];
        for (var c = 0; c < Means; c++)
        {
            var row = _meanRows.AsSpan(c * Dimensions, Dimensions);
            Int8Vectors.Quantize(Unit(), row);
            foreach (var x in row)
            {
                _meanSums[c] += x;
            }
        }

        _codes = new byte[Codes * Dimensions / 2];
        for (var r = 0; r < Codes; r++)
        {
            QuantizedVectors.QuantizeNibbles(Unit(), _codes.AsSpan(r * Dimensions / 2, Dimensions / 2));
        }

        _vectors = new QuantizedVectors(Dimensions);
        for (var slot = 0; slot < Pins; slot++)
        {
            _vectors.Set(slot, Unit());
        }

        _slots = Enumerable.Range(0, Shortlist).Select(_ => random.Next(Pins)).ToArray();
        _scores = new int[Math.Max(Codes, Means)];
    }

    [Benchmark]
    public int RankMeans()
    {
        QuantizedVectors.ScoreInt8Rows(_query, _meanRows, _meanSums, _scores.AsSpan(0, Means));
        return _scores[Means - 1];
    }

    [Benchmark]
    public int ScoreCodes()
    {
        QuantizedVectors.ScoreNibbleCodes(_query, _codes, _scores.AsSpan(0, Codes));
        return _scores[Codes - 1];
    }

    [Benchmark]
    public int ScoreShortlist()
    {
        _vectors.ScoreSlots(_slots, _query, _scores.AsSpan(0, Shortlist));
        return _scores[Shortlist - 1];
    }
}

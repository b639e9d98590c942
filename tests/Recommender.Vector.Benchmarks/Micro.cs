using System.Diagnostics;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Benchmarks;

/// <summary>Cost of each step of an embedded search on one segment (--micro): wall and CPU time per call.</summary>
internal static class Micro
{
    public static void Run(int pins, int dims)
    {
        var catalog = new SyntheticCatalog(dims);
        var keywords = new KeywordTable();
        var options = new EmbeddedStoreOptions { QuantizeThreshold = pins };
        var segment = new Segment(dims, keywords, new TermStats(), options);
        var load = Stopwatch.StartNew();
        for (var i = 0; i < pins - 1; i++)
        {
            segment.Upsert(catalog.Pin(i));
        }

        Console.WriteLine($"load {load.Elapsed.TotalSeconds:F1} s");
        load.Restart();
        segment.Upsert(catalog.Pin(pins - 1)); // reaches the threshold: builds the index
        Console.WriteLine($"quantisation at threshold {load.Elapsed.TotalSeconds:F1} s");

        {
            var a = new sbyte[dims];
            var b = new sbyte[dims];
            var fa = catalog.Pin(1).Dense;
            var fb = catalog.Pin(2).Dense;
            new Random(1).NextBytes((byte[])(object)a);
            new Random(2).NextBytes((byte[])(object)b);
            var sum = 0L;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < 5_000_000; i++)
            {
                sum += Int8Vectors.Dot(a, b);
            }

            Console.WriteLine($"int8 dot {sw.Elapsed.TotalMilliseconds * 1e6 / 5_000_000:F1} ns ({sum})");
            var stored = new QuantizedVectors(dims);
            stored.Set(0, fa);
            var prepared = new PreparedQuery(fb);
            sw.Restart();
            for (var i = 0; i < 5_000_000; i++)
            {
                sum += stored.Dot(0, prepared);
            }

            Console.WriteLine($"int8 dot, prepared query (AVX-VNNI {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}) {sw.Elapsed.TotalMilliseconds * 1e6 / 5_000_000:F1} ns ({sum})");
            sw.Restart();
            var fsum = 0f;
            for (var i = 0; i < 5_000_000; i++)
            {
                fsum += System.Numerics.Tensors.TensorPrimitives.Dot(fa, fb);
            }

            Console.WriteLine($"float dot (in cache) {sw.Elapsed.TotalMilliseconds * 1e6 / 5_000_000:F1} ns ({fsum})");
        }

        var queries = Enumerable.Range(0, 200).Select(i => catalog.Query(i, pins)).ToList();
        var selective = new VectorFilter(
            [new KeywordCondition(FilterFields.Category, ["Top3"]), new KeywordCondition(FilterFields.InStock, ["true"]),
             new RangeCondition(FilterFields.Price, null, null, null, 300)],
            [],
            [new KeywordCondition(FilterFields.Colour, ["red"])]);
        var broad = new VectorFilter([new KeywordCondition(FilterFields.InStock, ["true"])], [], []);
        var compiledSelective = CompiledFilter.Compile(selective, keywords);
        var compiledBroad = CompiledFilter.Compile(broad, keywords);
        using var selectiveSelection = segment.Select(compiledSelective, null)!;
        using var broadSelection = segment.Select(compiledBroad, null)!;
        Console.WriteLine($"selective passes {selectiveSelection.Count}, broad {broadSelection.Count} of {pins}");

        Time("select selective", i => segment.Select(compiledSelective, null)!.Dispose());
        Time("select broad", i => segment.Select(compiledBroad, null)!.Dispose());
        foreach (var (name, c) in new (string, FilterCondition)[]
                 {
                     ("category", new KeywordCondition(FilterFields.Category, ["Top3"])),
                     ("price", new RangeCondition(FilterFields.Price, null, null, null, 300)),
                     ("colour", new KeywordCondition(FilterFields.Colour, ["red"])),
                 })
        {
            var compiled = CompiledFilter.Compile(new VectorFilter([c], [], []), keywords);
            Time("select " + name, i => segment.Select(compiled, null)!.Dispose());
        }

        Time("dense all exact", i => segment.ExactTop(queries[i].Dense, null, 100));
        Time("dense all int8+rescore", i => segment.DenseTop(queries[i].Dense, null, 100));
        using var everything = segment.Select(null, ["no-such-pin"])!;
        Time("dense all-as-selection int8", i => segment.DenseTop(queries[i].Dense, everything, 100));
        using var fourFifths = segment.Select(null, Enumerable.Range(0, pins).Where(i => i % 5 == 0).Select(i => catalog.Pin(i).Pin.Id).ToList())!;
        Time("dense 80%-by-id int8", i => segment.DenseTop(queries[i].Dense, fourFifths, 100));
        Time("dense broad int8+rescore", i => segment.DenseTop(queries[i].Dense, broadSelection, 100));
        foreach (var (name, selection) in new[] { ("all", (Selection?)null), ("broad", broadSelection) })
        {
            double recall10 = 0, recall100 = 0;
            foreach (var q in queries)
            {
                var exact = segment.ExactTop(q.Dense, selection, 100);
                var approx = segment.DenseTop(q.Dense, selection, 100);
                recall10 += approx.Take(10).Select(h => h.Entry.Slot).Intersect(exact.Take(10).Select(h => h.Entry.Slot)).Count() / 10.0;
                recall100 += approx.Select(h => h.Entry.Slot).Intersect(exact.Select(h => h.Entry.Slot)).Count() / 100.0;
            }

            Console.WriteLine($"  recall {name}: @10 {recall10 / queries.Count:F4}  @100 {recall100 / queries.Count:F4}");
        }

        Time("dense selective", i => segment.DenseTop(queries[i].Dense, selectiveSelection, 100));
        Time("dense broad exact", i => segment.ExactTop(queries[i].Dense, broadSelection, 100));
        Time("sparse all", i => segment.SparseTop(queries[i].Sparse, null, 100));
        Time("sparse selective", i => segment.SparseTop(queries[i].Sparse, selectiveSelection, 100));

        void Time(string name, Action<int> action)
        {
            for (var i = 0; i < 100; i++)
            {
                action(i % queries.Count);
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < queries.Count; i++)
            {
                action(i % queries.Count);
            }

            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / queries.Count;
            Console.WriteLine($"{name,-20} wall {wall.Elapsed.TotalMilliseconds / queries.Count,7:F3} ms  cpu {cpuMs,7:F3} ms");
        }
    }
}

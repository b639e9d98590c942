using System.Diagnostics;
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
        var segment = new Segment(dims, keywords, new TermStats());
        for (var i = 0; i < pins; i++)
        {
            segment.Upsert(catalog.Pin(i));
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

        Time("dense all", i => segment.DenseTop(queries[i].Dense, null, 100));
        Time("dense selective", i => segment.DenseTop(queries[i].Dense, selectiveSelection, 100));
        Time("dense broad", i => segment.DenseTop(queries[i].Dense, broadSelection, 100));
        Time("sparse all", i => segment.SparseTop(queries[i].Sparse, null, 100));
        Time("sparse selective", i => segment.SparseTop(queries[i].Sparse, selectiveSelection, 100));

        void Time(string name, Action<int> action)
        {
            for (var i = 0; i < 20; i++)
            {
                action(i);
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < queries.Count; i++)
            {
                action(i);
            }

            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / queries.Count;
            Console.WriteLine($"{name,-20} wall {wall.Elapsed.TotalMilliseconds / queries.Count,7:F3} ms  cpu {cpuMs,7:F3} ms");
        }
    }
}

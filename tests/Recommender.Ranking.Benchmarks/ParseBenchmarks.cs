using BenchmarkDotNet.Attributes;
using Recommender.Ranking.Intent;

namespace Recommender.Ranking.Benchmarks;

/// <summary>Mean time of one embedded parse over the constraint query set (per query: OperationsPerInvoke).</summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private List<(EmbeddedIntentParser Parser, string Query)> _set = [];
    private List<string> _queries = [];

    [GlobalSetup]
    public void Setup()
    {
        _set = ConstraintQueries.Load();
        _queries = _set.Select(s => s.Query).ToList();
    }

    [Benchmark(OperationsPerInvoke = ConstraintQueries.PerCatalog * 2)]
    public int EmbeddedParse()
    {
        var found = 0;
        foreach (var (parser, query) in _set)
        {
            found += parser.Parse(query).Spans.Count;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = ConstraintQueries.PerCatalog * 2)]
    public int GrammarOnlyParse()
    {
        var found = 0;
        foreach (var query in _queries)
        {
            found += EmbeddedIntentParser.GrammarOnly.Parse(query).Spans.Count;
        }

        return found;
    }
}

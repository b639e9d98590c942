using BenchmarkDotNet.Running;
using Recommender.Embeddings.Benchmarks;

// dotnet run -c Release --project tests/Recommender.Embeddings.Benchmarks -- [BenchmarkDotNet args]
// dotnet run -c Release --project tests/Recommender.Embeddings.Benchmarks -- ingest-load --rabbit-port 5690 [--pins 50000]
if (args.Length > 0 && args[0] == "ingest-load")
{
    return await IngestLoad.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(EmbeddingBenchmarks).Assembly).Run(args);
return 0;

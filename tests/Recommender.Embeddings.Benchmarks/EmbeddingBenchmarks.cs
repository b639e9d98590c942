using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Recommender.Contracts;
using Recommender.Embeddings;

namespace Recommender.Embeddings.Benchmarks;

/// <summary>Query and pin embedding with the shipped default model (models/embedder), on one thread.</summary>
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    private readonly ITextEmbedder _model = LocalEmbedderLoader.Load(new EmbeddingOptions(), NullLogger.Instance);
    private readonly float[] _vector = new float[256];
    private readonly string _pinText = PinText.Of(new PinData
    {
        Id = "icecat-1",
        Tenant = "default",
        Title = "HP Pavilion dv7-1211ea Notebook Silver 43.2 cm (17\") 1440 x 900 pixels Intel Core2 Duo 4 GB DDR2-SDRAM 250 GB HDD",
        Brand = "HP",
        CategoryPath = ["Notebook"],
        Description = "Intel Core 2 Duo Processor P7450 (3M Cache, 2.13 GHz, 1066 MHz FSB), 4GB DDR2, 250GB SATA HDD, 17\" WXGA+ HD " +
            "BrightView 1440 x 900, nVidia GeForce 9200M GS, DVD Super Multi DL, Gigabit Ethernet, WLAN 802.11 b/g, WebCam, Windows Vista Home Premium 32-bit",
    });

    [Params("black toner cartridge", "boho rug under $80 not wool")]
    public string Query { get; set; } = "";

    [Benchmark]
    public void EmbedQuery() => _model.Embed(Query, _vector);

    [Benchmark]
    public SparseVector EncodeQuerySparse() => SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(Query));

    [Benchmark]
    public void EmbedPin() => _model.Embed(_pinText, _vector);
}

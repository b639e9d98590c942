using System.IO.Compression;
using Google.Protobuf;
using Recommender.Contracts.Catalog.V1;

namespace Recommender.SystemTests.Infrastructure;

/// <summary>Reads the Icecat sample that ships in the repo (real products).</summary>
public static class SampleCatalog
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static string PathInRepo => System.IO.Path.Combine(RepoPaths.Root, "services", "Embedded", "SampleData", "icecat-sample.jsonl.gz");

    public static List<Pin> Read(int count)
    {
        using var file = File.OpenRead(PathInRepo);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var pins = new List<Pin>(count);
        while (pins.Count < count && reader.ReadLine() is { } line)
        {
            pins.Add(Parser.Parse<Pin>(line));
        }

        return pins;
    }
}

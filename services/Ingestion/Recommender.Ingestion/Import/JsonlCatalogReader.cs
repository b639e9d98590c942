using System.IO.Compression;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Recommender.Contracts.Catalog.V1;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ingestion.Import;

/// <summary>
/// Reads a JSON Lines catalog (optionally gzip'd), one pin per line in the JSON form of
/// <c>recommender.catalog.v1.Pin</c> (camelCase or snake_case field names). A bad line is reported with its
/// number and reason and reading goes on.
/// </summary>
public static class JsonlCatalogReader
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static async IAsyncEnumerable<CatalogRow> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        await foreach (var row in ReadAsync(reader, cancellationToken))
        {
            yield return row;
        }
    }

    public static async IAsyncEnumerable<CatalogRow> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return ParseLine(lineNumber, line);
        }
    }

    public static CatalogRow ParseLine(int lineNumber, string line)
    {
        Pin pin;
        try
        {
            pin = Parser.Parse<Pin>(line);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            return new CatalogRow(lineNumber, null, $"not a valid pin: {ex.Message}");
        }

        var violations = new Violations();
        PinValidator.Validate(pin, "pin", violations);
        return violations.Count == 0
            ? new CatalogRow(lineNumber, pin, null)
            : new CatalogRow(lineNumber, null, string.Join("; ", violations.Items.Select(v => $"{v.Field}: {v.Description}")));
    }
}

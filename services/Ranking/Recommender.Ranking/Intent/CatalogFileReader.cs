using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Reads products from JSON Lines (optionally gzip'd) for offline work (fine-tuning sets, evaluation, benchmarks):
/// the pin JSON form (categoryPath, colour, attributes) as well as the raw catalog exports in ../shared/data
/// (category_path, product_type or category; attributes.product_colour). Lines without an id or title are skipped.
/// </summary>
public static class CatalogFileReader
{
    public static List<PinData> Read(string path, string tenant)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var pins = new List<PinData>();
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            if (ToPin(doc.RootElement, tenant) is { } pin)
            {
                pins.Add(pin);
            }
        }

        return pins;
    }

    public static PinData? ToPin(JsonElement e, string tenant)
    {
        var id = Text(e, "id");
        var title = Text(e, "title");
        if (id.Length == 0 || title.Length == 0)
        {
            return null;
        }

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
        {
            foreach (var a in attrs.EnumerateObject())
            {
                var value = a.Value.ValueKind switch
                {
                    JsonValueKind.String => a.Value.GetString() ?? "",
                    JsonValueKind.Number => a.Value.GetDouble().ToString(CultureInfo.InvariantCulture),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => "",
                };
                if (value.Length > 0)
                {
                    attributes[a.Name] = value;
                }
            }
        }

        var path = Strings(e, "categoryPath");
        if (path.Count == 0)
        {
            path = Strings(e, "category_path");
        }

        if (path.Count == 0)
        {
            var single = Text(e, "product_type");
            single = single.Length > 0 ? single : Text(e, "category");
            if (single.Length > 0)
            {
                path = [single];
            }
        }

        var colour = Text(e, "colour");
        colour = colour.Length > 0 ? colour : Text(e, "color");
        colour = colour.Length > 0 ? colour : attributes.GetValueOrDefault("product_colour") ?? attributes.GetValueOrDefault("colour") ?? "";
        double? price = e.TryGetProperty("price", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
        var currency = Text(e, "currency");
        return new PinData
        {
            Id = id,
            Tenant = tenant,
            Title = title,
            Description = Text(e, "description"),
            Brand = Text(e, "brand"),
            CategoryPath = path,
            Price = price,
            Currency = currency.Length == 3 ? currency.ToUpperInvariant() : "USD",
            Colour = colour,
            Attributes = attributes,
        };
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? (v.GetString() ?? "").Trim() : "";

    private static List<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!.Trim()).Where(x => x.Length > 0).ToList()
            : [];
}

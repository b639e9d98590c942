using System.IO.Compression;
using System.Text.Json;

namespace Recommender.Embeddings.Training;

/// <summary>A catalog product as the trainer and the evaluation read it.</summary>
public sealed record CatalogProduct(
    string Id,
    string Title,
    string Description,
    string Brand,
    IReadOnlyList<string> Categories,
    IReadOnlyList<KeyValuePair<string, string>> Attributes);

/// <summary>A judged (query, product) pair: label 1 (not relevant) to 3 (highly relevant); split train or val.</summary>
public sealed record Judgment(string QueryId, string Query, string ProductId, float Label, string Split);

/// <summary>
/// Reads product and judgment JSON Lines files (optionally gzip'd). Products may be in the data-set form
/// (id, title, description, brand, category_path | product_type, attributes) or the pin JSON form (categoryPath).
/// </summary>
public static class CatalogFiles
{
    public static List<CatalogProduct> ReadProducts(string path)
    {
        var products = new List<CatalogProduct>();
        foreach (var (number, line) in ReadLines(path))
        {
            using var doc = Parse(path, number, line);
            var root = doc.RootElement;
            var id = Text(root, "id");
            var title = Text(root, "title");
            if (id.Length == 0 || title.Length == 0)
            {
                continue;
            }

            var categories = new List<string>();
            foreach (var name in (ReadOnlySpan<string>)["category_path", "categoryPath"])
            {
                if (root.TryGetProperty(name, out var path2) && path2.ValueKind == JsonValueKind.Array)
                {
                    categories.AddRange(path2.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                }
            }

            var productType = Text(root, "product_type");
            if (categories.Count == 0 && productType.Length > 0)
            {
                categories.Add(productType);
            }

            var attributes = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in attrs.EnumerateObject())
                {
                    var value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString()!,
                        JsonValueKind.Number => p.Value.GetRawText(),
                        JsonValueKind.True => "yes",
                        JsonValueKind.False => "no",
                        _ => "",
                    };
                    if (value.Length > 0)
                    {
                        attributes.Add(new(p.Name, value));
                    }
                }
            }

            products.Add(new CatalogProduct(id, title, Text(root, "description"), Text(root, "brand"), categories, attributes));
        }

        return products;
    }

    public static List<Judgment> ReadJudgments(string path)
    {
        var judgments = new List<Judgment>();
        foreach (var (number, line) in ReadLines(path))
        {
            using var doc = Parse(path, number, line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.Number)
            {
                throw new InvalidDataException($"{path} line {number}: 'label' must be a number.");
            }

            judgments.Add(new Judgment(
                Text(root, "query_id"), Text(root, "query"), Text(root, "product_id"), label.GetSingle(), Text(root, "split")));
        }

        return judgments;
    }

    private static JsonDocument Parse(string path, int number, string line)
    {
        try
        {
            var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new InvalidDataException($"{path} line {number}: expected a JSON object.");
            }

            return doc;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} line {number}: not valid JSON ({ex.Message})", ex);
        }
    }

    private static IEnumerable<(int Number, string Line)> ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No file at {path}.", path);
        }

        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line);
            }
        }
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!.Trim() : "";
}

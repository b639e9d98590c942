using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Recommender.Contracts.Catalog.V1;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ingestion.Import;

/// <summary>
/// Reads an RFC 4180 CSV catalog with a header row (quoted fields may hold commas, doubled quotes and line breaks).
/// Columns (case-insensitive): id, title (required); tenant, description, brand, category (a path split on '>' or
/// '|'), price, currency, colour|color, image_url, link, in_stock (true/false/1/0/yes/no), version, created_at,
/// updated_at (ISO 8601); attr.NAME or attr:NAME columns become attributes. Other columns are ignored.
/// A bad row is reported with the line it starts on, and reading goes on.
/// </summary>
public static class CsvCatalogReader
{
    public static async IAsyncEnumerable<CatalogRow> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var line = 0;
        string[]? header = null;
        var record = new List<string>();
        var field = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            line++;
            var startLine = line;
            record.Clear();
            field.Clear();
            var inQuotes = false;
            var error = (string?)null;
            while (true)
            {
                for (var i = 0; i < text.Length; i++)
                {
                    var c = text[i];
                    if (inQuotes)
                    {
                        if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i++;
                        }
                        else if (c == '"')
                        {
                            inQuotes = false;
                        }
                        else
                        {
                            field.Append(c);
                        }
                    }
                    else if (c == '"' && field.Length == 0)
                    {
                        inQuotes = true;
                    }
                    else if (c == ',')
                    {
                        record.Add(field.ToString());
                        field.Clear();
                    }
                    else
                    {
                        field.Append(c);
                    }
                }

                if (!inQuotes)
                {
                    break;
                }

                // A quoted field continues on the next line.
                if (await reader.ReadLineAsync(cancellationToken) is not { } next)
                {
                    error = "a quoted field is not closed before the end of the file";
                    break;
                }

                line++;
                field.Append('\n');
                text = next;
            }

            record.Add(field.ToString());
            if (header is null)
            {
                header = record.Select(h => h.Trim().ToLowerInvariant()).ToArray();
                if (!header.Contains("id") || !header.Contains("title"))
                {
                    yield return new CatalogRow(startLine, null, "the header row must name at least the columns id and title");
                    yield break;
                }

                continue;
            }

            if (record.Count == 1 && record[0].Length == 0)
            {
                continue;
            }

            if (error is not null)
            {
                yield return new CatalogRow(startLine, null, error);
                yield break;
            }

            yield return record.Count != header.Length
                ? new CatalogRow(startLine, null, $"has {record.Count} fields; the header has {header.Length}")
                : Parse(startLine, header, record);
        }
    }

    private static CatalogRow Parse(int line, string[] header, List<string> values)
    {
        var pin = new Pin();
        for (var i = 0; i < header.Length; i++)
        {
            var name = header[i];
            var value = values[i].Trim();
            if (value.Length == 0)
            {
                continue;
            }

            switch (name)
            {
                case "id": pin.Id = value; break;
                case "tenant": pin.Tenant = value; break;
                case "title": pin.Title = value; break;
                case "description": pin.Description = value; break;
                case "brand": pin.Brand = value; break;
                case "category" or "category_path":
                    pin.CategoryPath.Add(value.Split(['>', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "price":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var price))
                    {
                        return new CatalogRow(line, null, $"price: '{value}' is not a number");
                    }

                    pin.Price = price;
                    break;
                case "currency": pin.Currency = value; break;
                case "colour" or "color": pin.Colour = value; break;
                case "image_url" or "imageurl" or "image": pin.ImageUrl = value; break;
                case "link" or "url": pin.Link = value; break;
                case "in_stock" or "instock":
                    switch (value.ToLowerInvariant())
                    {
                        case "true" or "1" or "yes": pin.InStock = true; break;
                        case "false" or "0" or "no": pin.InStock = false; break;
                        default: return new CatalogRow(line, null, $"in_stock: '{value}' is not true/false");
                    }

                    break;
                case "version":
                    if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
                    {
                        return new CatalogRow(line, null, $"version: '{value}' is not an integer");
                    }

                    pin.Version = version;
                    break;
                case "created_at" or "updated_at":
                    if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                    {
                        return new CatalogRow(line, null, $"{name}: '{value}' is not an ISO 8601 time");
                    }

                    if (name == "created_at")
                    {
                        pin.CreatedAt = Timestamp.FromDateTimeOffset(at);
                    }
                    else
                    {
                        pin.UpdatedAt = Timestamp.FromDateTimeOffset(at);
                    }

                    break;
                default:
                    if (name.Length > 5 && (name.StartsWith("attr.", StringComparison.Ordinal) || name.StartsWith("attr:", StringComparison.Ordinal)))
                    {
                        pin.Attributes[header[i][5..]] = value;
                    }

                    break;
            }
        }

        var violations = new Violations();
        PinValidator.Validate(pin, "pin", violations);
        return violations.Count == 0
            ? new CatalogRow(line, pin, null)
            : new CatalogRow(line, null, string.Join("; ", violations.Items.Select(v => $"{v.Field}: {v.Description}")));
    }
}

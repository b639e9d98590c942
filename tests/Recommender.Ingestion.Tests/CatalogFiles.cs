using System.Globalization;
using System.Text;

namespace Recommender.Ingestion.Tests;

/// <summary>Builds catalog files with known bad rows.</summary>
public static class TestCatalogs
{
    /// <summary>A JSONL catalog of <paramref name="rows"/> lines where every <paramref name="badEvery"/>th line is
    /// malformed in one of several ways; returns the text and the 1-based numbers of the bad lines.</summary>
    public static (string Text, List<int> BadLines) Jsonl(int rows, int badEvery)
    {
        var sb = new StringBuilder();
        var bad = new List<int>();
        for (var line = 1; line <= rows; line++)
        {
            if (line % badEvery == 0)
            {
                bad.Add(line);
                sb.AppendLine((line / badEvery % 5) switch
                {
                    0 => "{\"id\": \"p" + line + "\", \"title\": \"Broken",                       // truncated JSON
                    1 => "{\"id\": \"p" + line + "\", \"title\": \"\"}",                           // no title
                    2 => "{\"id\": \"p" + line + "\", \"title\": \"Cable\", \"price\": -3}",        // negative price
                    3 => "{\"id\": \"bad id " + line + "\", \"title\": \"Cable\"}",                 // id shape
                    _ => "{\"id\": \"p" + line + "\", \"title\": \"Cable\", \"imageUrl\": \"ftp://x/y.png\"}", // URL shape
                });
            }
            else
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"{{\"id\": \"p{line}\", \"title\": \"USB-C cable model {line}\", \"brand\": \"Acme\", \"price\": {line % 90 + 0.5}, \"categoryPath\": [\"Cables\"]}}");
            }
        }

        return (sb.ToString(), bad);
    }
}

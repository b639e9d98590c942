using System.Globalization;
using System.Text;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ranking.Pipeline;

/// <summary>Where a page token points: the offset into the ranked list and the query id whose ranked list the first
/// page kept (null for tokens made without one).</summary>
public readonly record struct PagePosition(int Offset, string? QueryId);

/// <summary>Opaque page tokens: the offset, the query id of the ranked list, and a fingerprint of the request, so a
/// token is only accepted for the same query it came from.</summary>
public static class PageToken
{
    public static string Create(int offset, string fingerprint) => Create(offset, null, fingerprint);

    public static string Create(int offset, string? queryId, string fingerprint) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{offset.ToString(CultureInfo.InvariantCulture)}:{Hash(fingerprint)}:{queryId}"));

    /// <summary>The offset of a token (0 for none); throws INVALID_ARGUMENT for a token of another request.</summary>
    public static int Read(string token, string fingerprint) => ReadPosition(token, fingerprint).Offset;

    public static PagePosition ReadPosition(string token, string fingerprint)
    {
        if (string.IsNullOrEmpty(token))
        {
            return new PagePosition(0, null);
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts.Length is 2 or 3
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                && parts[1] == Hash(fingerprint))
            {
                return new PagePosition(offset, parts.Length == 3 && parts[2].Length > 0 ? parts[2] : null);
            }
        }
        catch (FormatException)
        {
        }

        throw new RequestValidationException([new FieldViolation("page_token", "Not a token from a previous page of this same request.")]);
    }

    private static string Hash(string fingerprint) => StableHash.Fnv1a(fingerprint).ToString("x8", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text;
using Recommender.Embeddings;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ranking.Pipeline;

/// <summary>Opaque page tokens: the offset plus a fingerprint of the request, so a token is only accepted for the
/// same query it came from.</summary>
public static class PageToken
{
    public static string Create(int offset, string fingerprint) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{offset.ToString(CultureInfo.InvariantCulture)}:{Hash(fingerprint)}"));

    public static int Read(string token, string fingerprint)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                && parts[1] == Hash(fingerprint))
            {
                return offset;
            }
        }
        catch (FormatException)
        {
        }

        throw new RequestValidationException([new FieldViolation("page_token", "Not a token from a previous page of this same request.")]);
    }

    private static string Hash(string fingerprint) => StableHash.Fnv1a(fingerprint).ToString("x8", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text;

namespace Recommender.Embeddings;

/// <summary>
/// The one tokenizer behind dense and sparse vectors: lower-cases, splits on anything that is not a letter or digit,
/// keeps decimal numbers whole ("3.5"), drops English stop words and folds simple plurals.
/// </summary>
public static class TextTokenizer
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on", "or",
        "that", "the", "this", "to", "with", "w", "x",
    };

    public static List<string> Tokenize(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return tokens;
        }

        var sb = new StringBuilder();
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (c == '.' && sb.Length > 0 && char.IsDigit(sb[^1]) && i + 1 < text.Length && char.IsDigit(text[i + 1]))
            {
                sb.Append('.');
            }
            else if (sb.Length > 0)
            {
                var token = Normalize(sb.ToString());
                sb.Clear();
                if (token.Length > 0 && !StopWords.Contains(token))
                {
                    tokens.Add(token);
                }
            }
        }

        return tokens;
    }

    /// <summary>Folds accents away and turns common plural endings into the singular.</summary>
    public static string Normalize(string token)
    {
        if (token.Length > 64)
        {
            token = token[..64];
        }

        if (!token.All(char.IsAscii))
        {
            var decomposed = token.Normalize(NormalizationForm.FormD);
            var sb = new StringBuilder(decomposed.Length);
            foreach (var ch in decomposed)
            {
                if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark)
                {
                    sb.Append(ch);
                }
            }

            token = sb.ToString();
        }

        if (token.Length > 4 && token.EndsWith("ies", StringComparison.Ordinal))
        {
            return token[..^3] + "y";
        }

        if (token.Length > 3 && token[^1] == 's' && token[^2] != 's' && token[^2] != 'u' && token[^2] != 'i' && char.IsLetter(token[^2]))
        {
            return token[..^1];
        }

        return token;
    }
}

using System.Globalization;
using System.Text;
using Recommender.Embeddings;

namespace Recommender.Ranking.Intent;

/// <summary>A word of the normalized query: its lower-case text, its plural-folded form and where it lies.</summary>
public readonly record struct QueryToken(string Text, string Folded, int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>Normalisation and tokenisation shared by the grammar, the vocabulary and the synthesised queries.</summary>
public static class IntentText
{
    /// <summary>Lower case, trademark signs removed, white space collapsed. Spans index into this form.</summary>
    public static string NormalizeQuery(string query)
    {
        var sb = new StringBuilder(query.Length);
        var space = false;
        foreach (var raw in query.AsSpan().Trim())
        {
            if (raw is '™' or '®' or '©')
            {
                continue;
            }

            if (char.IsWhiteSpace(raw))
            {
                space = true;
                continue;
            }

            if (space && sb.Length > 0)
            {
                sb.Append(' ');
            }

            space = false;
            sb.Append(char.ToLowerInvariant(raw));
        }

        return sb.ToString();
    }

    /// <summary>Runs of letters and digits; "&amp;" is a word of its own so "AT&amp;T" and "at&amp;t" agree.</summary>
    public static List<QueryToken> Tokenize(string normalized)
    {
        var tokens = new List<QueryToken>(8);
        var start = -1;
        for (var i = 0; i <= normalized.Length; i++)
        {
            var c = i < normalized.Length ? normalized[i] : ' ';
            if (char.IsLetterOrDigit(c))
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0)
            {
                tokens.Add(Token(normalized, start, i));
                start = -1;
            }

            if (c == '&')
            {
                tokens.Add(new QueryToken("&", "&", i, i + 1));
            }
        }

        return tokens;
    }

    /// <summary>The words of a catalog value (brand, category, colour) in the form query tokens are compared in.</summary>
    public static string[] Words(string value) => Tokenize(NormalizeQuery(value)).Select(t => t.Text).ToArray();

    /// <summary>The plural-folded words of a catalog value.</summary>
    public static string[] FoldedWords(string value) => Tokenize(NormalizeQuery(value)).Select(t => t.Folded).ToArray();

    public static string FoldAccents(string token)
    {
        if (token.All(char.IsAscii))
        {
            return token;
        }

        var decomposed = token.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var ch in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(ch);
            }
        }

        return sb.ToString();
    }

    private static QueryToken Token(string normalized, int start, int end)
    {
        var text = FoldAccents(normalized[start..end]);
        return new QueryToken(text, TextTokenizer.Normalize(text), start, end);
    }
}

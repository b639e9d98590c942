using System.Text;
using Recommender.Contracts;

namespace Recommender.Embeddings;

/// <summary>The text of a pin that its vectors are computed from.</summary>
public static class PinText
{
    private const int MaxDescriptionChars = 600;

    public static string Of(PinData pin)
    {
        var sb = new StringBuilder(pin.Title.Length + 256);
        sb.Append(pin.Title);
        Append(sb, pin.Brand);
        foreach (var level in pin.CategoryPath)
        {
            Append(sb, level);
        }

        Append(sb, pin.Colour);
        if (pin.Description.Length > 0)
        {
            Append(sb, pin.Description.Length > MaxDescriptionChars ? pin.Description[..MaxDescriptionChars] : pin.Description);
        }

        return sb.ToString();
    }

    /// <summary>The shorter text the sparse (lexical) vector is made from: title, brand, categories, colour.</summary>
    public static string Lexical(PinData pin)
    {
        var sb = new StringBuilder(pin.Title.Length + 64);
        sb.Append(pin.Title);
        Append(sb, pin.Brand);
        foreach (var level in pin.CategoryPath)
        {
            Append(sb, level);
        }

        Append(sb, pin.Colour);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            sb.Append(" . ").Append(value);
        }
    }
}

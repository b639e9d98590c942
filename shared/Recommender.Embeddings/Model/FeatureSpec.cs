using System.Text.Json.Serialization;

namespace Recommender.Embeddings.Model;

/// <summary>
/// Which hashed features a text is made of: words, word bigrams and character n-grams of "#word#", each hashed into
/// one of <see cref="Buckets"/> rows of the embedding table. Stored in the manifest so training and inference
/// always agree.
/// </summary>
public sealed record FeatureSpec
{
    /// <summary>Rows of the embedding table; a power of two.</summary>
    public int Buckets { get; init; } = 1 << 18;

    public bool WordBigrams { get; init; } = true;

    /// <summary>Smallest character n-gram (0 turns them off).</summary>
    public int CharMin { get; init; } = 3;

    public int CharMax { get; init; } = 3;

    /// <summary>Weight of a word bigram relative to a word.</summary>
    public float BigramWeight { get; init; } = 0.5f;

    /// <summary>Total weight of one word's character n-grams (shared between them); used when
    /// <see cref="CharGramWeight"/> is 0.</summary>
    public float CharWeight { get; init; } = 1f;

    /// <summary>Weight of each character n-gram; 0 shares <see cref="CharWeight"/> between a word's n-grams.</summary>
    public float CharGramWeight { get; init; } = 0.35f;

    /// <summary>Words longer than this contribute no character n-grams beyond its prefix.</summary>
    [JsonIgnore]
    public int MaxWordChars => 40;

    public void Validate()
    {
        if (Buckets < 2 || (Buckets & (Buckets - 1)) != 0)
        {
            throw new InvalidDataException($"Buckets must be a power of two, got {Buckets}.");
        }

        if (CharMin < 0 || CharMax < CharMin || CharMax > 8)
        {
            throw new InvalidDataException($"Character n-gram range {CharMin}-{CharMax} is invalid.");
        }
    }
}

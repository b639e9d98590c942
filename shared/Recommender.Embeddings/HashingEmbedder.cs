using System.Numerics.Tensors;

namespace Recommender.Embeddings;

/// <summary>
/// A training-free embedder: words, word bigrams and character trigrams are hashed into a fixed number of
/// dimensions with a random sign (the hashing trick), weighted and L2-normalised. Texts that share words or
/// word pieces land close together; unseen words still embed. It is the baseline a trained model must beat.
/// </summary>
public sealed class HashingEmbedder(int dimensions = 256) : ITextEmbedder
{
    private const float WordWeight = 1.0f;
    private const float BigramWeight = 0.5f;
    private const float TrigramWeight = 0.35f;

    public string Version => $"hash-{Dimensions}-v1";

    public int Dimensions { get; } = dimensions > 0 ? dimensions : throw new ArgumentOutOfRangeException(nameof(dimensions));

    public void Embed(string text, Span<float> destination)
    {
        if (destination.Length != Dimensions)
        {
            throw new ArgumentException($"Destination must have {Dimensions} floats.", nameof(destination));
        }

        destination.Clear();
        var tokens = TextTokenizer.Tokenize(text);
        Span<char> buffer = stackalloc char[70];
        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            Add(destination, token, WordWeight, 0x9E3779B9);
            if (t + 1 < tokens.Count)
            {
                Add(destination, token + " " + tokens[t + 1], BigramWeight, 0x85EBCA6B);
            }

            // Character trigrams of "#token#" let "cartridge" and "cartridges", or typos, share most features.
            buffer[0] = '#';
            token.AsSpan().CopyTo(buffer[1..]);
            buffer[token.Length + 1] = '#';
            var padded = buffer[..(token.Length + 2)];
            for (var i = 0; i + 3 <= padded.Length; i++)
            {
                Add(destination, padded.Slice(i, 3), TrigramWeight, 0xC2B2AE35);
            }
        }

        var norm = TensorPrimitives.Norm(destination);
        if (norm > 0)
        {
            TensorPrimitives.Divide(destination, norm, destination);
        }
    }

    private void Add(Span<float> vector, ReadOnlySpan<char> feature, float weight, uint seed)
    {
        var hash = StableHash.Fnv1a(feature, seed);
        var index = (int)(hash % (uint)Dimensions);
        vector[index] += (hash & 0x80000000) != 0 ? weight : -weight;
    }
}

namespace Recommender.Embeddings.Model;

/// <summary>Turns tokens into hashed (bucket, weight) features as <see cref="FeatureSpec"/> describes.</summary>
public sealed class FeatureHasher(FeatureSpec spec)
{
    private const uint WordSeed = 0x9E3779B9;
    private const uint BigramSeed = 0x85EBCA6B;
    private const uint CharSeed = 0xC2B2AE35;

    private readonly uint _mask = (uint)spec.Buckets - 1;

    public FeatureSpec Spec => spec;

    /// <summary>Appends the features of <paramref name="tokens"/> (from <see cref="TextTokenizer"/>).</summary>
    public void Features(IReadOnlyList<string> tokens, List<int> buckets, List<float> weights)
    {
        Span<char> padded = stackalloc char[spec.MaxWordChars + 2];
        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            var wordHash = StableHash.Fnv1a(token, WordSeed);
            buckets.Add(Bucket(wordHash));
            weights.Add(1f);
            if (spec.WordBigrams && t + 1 < tokens.Count)
            {
                var next = StableHash.Fnv1a(tokens[t + 1], WordSeed);
                buckets.Add(Bucket(Mix((wordHash * 0x27D4EB2Du) ^ next ^ BigramSeed)));
                weights.Add(spec.BigramWeight);
            }

            if (spec.CharMin > 0)
            {
                var length = Math.Min(token.Length, spec.MaxWordChars);
                padded[0] = '#';
                token.AsSpan(0, length).CopyTo(padded[1..]);
                padded[length + 1] = '#';
                var word = padded[..(length + 2)];
                var count = 0;
                for (var n = spec.CharMin; n <= spec.CharMax; n++)
                {
                    count += Math.Max(0, word.Length - n + 1);
                }

                if (count == 0)
                {
                    continue;
                }

                var weight = spec.CharGramWeight > 0 ? spec.CharGramWeight : spec.CharWeight / count;
                for (var n = spec.CharMin; n <= spec.CharMax; n++)
                {
                    for (var i = 0; i + n <= word.Length; i++)
                    {
                        buckets.Add(Bucket(StableHash.Fnv1a(word.Slice(i, n), CharSeed + (uint)n)));
                        weights.Add(weight);
                    }
                }
            }
        }
    }

    private int Bucket(uint hash) => (int)(Mix(hash) & _mask);

    /// <summary>Murmur3's finaliser: spreads FNV's weak low bits before masking.</summary>
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}

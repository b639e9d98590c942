using System.Numerics.Tensors;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

/// <summary>A catalog embedded by the hashing embedder, and retrieval-like candidates from it: a text's nearest pins
/// (cosine, ties by catalog order) with fused score 1 / (60 + rank) and a sparse score of 2.5 per query word in the
/// title. Shared by the re-ranking equivalence and feature golden tests.</summary>
internal sealed class NearestPins
{
    private readonly IReadOnlyList<PinData> _pins;
    private readonly List<float[]> _vectors;
    private readonly HashingEmbedder _embedder = new();

    public NearestPins(IReadOnlyList<PinData> pins)
    {
        _pins = pins;
        _vectors = pins.Select(p =>
        {
            var v = new float[_embedder.Dimensions];
            _embedder.Embed(PinText.Of(p), v);
            return v;
        }).ToList();
    }

    /// <summary>The <paramref name="count"/> nearest pins to <paramref name="text"/> as candidates, with their vectors.</summary>
    public List<(Candidate Candidate, float[] Vector)> Nearest(string text, int count)
    {
        var q = new float[_embedder.Dimensions];
        _embedder.Embed(text, q);
        var tokens = TextTokenizer.Tokenize(text);
        return Enumerable.Range(0, _pins.Count)
            .Select(i => (Index: i, Dot: TensorPrimitives.Dot(_vectors[i], q)))
            .OrderByDescending(x => x.Dot).ThenBy(x => x.Index).Take(count)
            .Select((x, rank) => (new Candidate(_pins[x.Index], 1f / (60 + rank), x.Dot,
                tokens.Count(TextTokenizer.Tokenize(_pins[x.Index].Title).Contains) * 2.5f), _vectors[x.Index]))
            .ToList();
    }
}

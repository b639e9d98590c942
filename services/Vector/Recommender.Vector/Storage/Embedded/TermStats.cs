using Recommender.Embeddings;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Document frequencies of sparse terms over the whole store (every tenant), and the number of pins that have a
/// sparse vector: the statistics Qdrant's IDF modifier uses for a collection, so both backends score alike.
/// </summary>
internal sealed class TermStats
{
    private readonly Dictionary<int, int> _frequency = [];

    /// <summary>Live pins with a non-empty sparse vector.</summary>
    public int Documents { get; private set; }

    public int DocumentFrequency(int term) => _frequency.GetValueOrDefault(term);

    public void AddDocument(SparseVector sparse)
    {
        Documents++;
        for (var i = 0; i < sparse.Count; i++)
        {
            _frequency[sparse.Indices[i]] = _frequency.GetValueOrDefault(sparse.Indices[i]) + 1;
        }
    }

    public void RemoveDocument(SparseVector sparse)
    {
        Documents--;
        for (var i = 0; i < sparse.Count; i++)
        {
            var term = sparse.Indices[i];
            var left = _frequency.GetValueOrDefault(term) - 1;
            if (left > 0)
            {
                _frequency[term] = left;
            }
            else
            {
                _frequency.Remove(term);
            }
        }
    }

    /// <summary>Qdrant's IDF: ln(1 + (N - n + 0.5) / (n + 0.5)), computed in single precision as Qdrant does.</summary>
    public static float Idf(int totalDocs, int docsWithTerm)
    {
        var n = (float)totalDocs;
        var df = (float)docsWithTerm;
        return MathF.Log(((n - df + 0.5f) / (df + 0.5f)) + 1f);
    }
}

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// A ranking model over the <see cref="RankingFeature"/> vector. Implementations are immutable and thread-safe;
/// a new version replaces the old one as a whole (see <see cref="RankerRegistry"/>).
/// </summary>
public interface IRankerModel
{
    /// <summary>Shown to callers as the response's model_version.</summary>
    string Version { get; }

    /// <summary>The candidate's score; higher ranks first.</summary>
    double Score(ReadOnlySpan<double> features);

    /// <summary>The scores of a batch of candidates whose features are rows of <paramref name="featureCount"/> values
    /// in <paramref name="featuresRowMajor"/>: <c>scores[i]</c> equals <see cref="Score"/> of row i, to the bit. The
    /// default scores row by row; a model that scores a batch faster overrides it (a tree-major walk was measured and
    /// was not faster for the 200-tree LambdaRank model: docs/ranking.md, "Re-ranking cost per candidate"). The tail
    /// calls <see cref="Score"/> per candidate (no model overrides this, and copying the rows cost more than nothing).</summary>
    void ScoreBatch(ReadOnlySpan<double> featuresRowMajor, int featureCount, Span<double> scores)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Score(featuresRowMajor.Slice(i * featureCount, featureCount));
        }
    }

    /// <summary>Each feature's contribution to <see cref="Score"/> (same length as the features).</summary>
    void Explain(ReadOnlySpan<double> features, Span<double> contributions);
}

/// <summary>
/// A model that can note, while scoring, the leaf each of its trees gave the sample, and explain from those leaves
/// exactly as <see cref="IRankerModel.Explain"/> explains from the features (to the bit), without walking the trees
/// again. The tail uses it for the first page of a list it has just scored.
/// </summary>
public interface ILeafExplainer : IRankerModel
{
    /// <summary>Leaves noted per sample (one per tree).</summary>
    int Trees { get; }

    /// <summary>Equals <see cref="IRankerModel.Score"/>; also writes each tree's leaf to <paramref name="leaves"/>.</summary>
    double Score(ReadOnlySpan<double> features, Span<int> leaves);

    /// <summary>Equals <see cref="IRankerModel.Explain"/> of the features that gave these leaves.</summary>
    void ExplainLeaves(ReadOnlySpan<int> leaves, Span<double> contributions);
}

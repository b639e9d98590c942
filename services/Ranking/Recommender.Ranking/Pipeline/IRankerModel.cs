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

    /// <summary>Sets every candidate's <see cref="Candidate.Score"/> (each equal to the bit to
    /// <see cref="IRankerModel.Score"/> of its features; a tree ensemble does sixteen candidates per vector step); with
    /// <paramref name="leaves"/> not empty, candidate i's leaves go to <c>leaves[i x Trees, (i + 1) x Trees)</c>, as
    /// <see cref="Score(ReadOnlySpan{double}, Span{int})"/> notes them.</summary>
    void ScoreAll(IReadOnlyList<Candidate> candidates, Span<int> leaves);
}

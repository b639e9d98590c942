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

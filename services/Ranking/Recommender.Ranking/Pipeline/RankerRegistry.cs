namespace Recommender.Ranking.Pipeline;

/// <summary>Holds the ranking model in use; a new version is swapped in atomically while searches run.</summary>
public sealed class RankerRegistry
{
    private IRankerModel _current = new LinearRanker();

    public IRankerModel Current => Volatile.Read(ref _current);

    public void Swap(IRankerModel model) => Volatile.Write(ref _current, model);
}

using Recommender.Ranking.Model;

namespace Recommender.Ranking.Pipeline.QueryLog;

/// <summary>Holds the query log in use; swapped together with the ranker it shipped with
/// (<see cref="RankerModelWatcher"/>).</summary>
public sealed class QueryLogRegistry
{
    private QueryLogExpansion _current = QueryLogExpansion.Empty;

    public QueryLogExpansion Current => Volatile.Read(ref _current);

    public void Swap(QueryLogExpansion expansion) => Volatile.Write(ref _current, expansion);
}

using System.Buffers;
using MassTransit;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// The shared end of every ranked list (search, related pins, home feed): features -> model score -> business rules
/// (boost, bury, out-of-stock) -> order -> diversity -> pinned positions -> the requested page, each result with its
/// score and the features and rules that placed it. The ordered list is kept by query id so later pages are cut from
/// the same ranking (<see cref="Continue"/>).
/// </summary>
public sealed class RankingTail(
    FeatureExtractor featureExtractor,
    RankerRegistry rankers,
    BusinessRules rules,
    IOptions<DiversityOptions> diversity,
    RankedListCache lists)
{
    /// <summary>Explanations list this many features, largest contribution first (rule entries come on top).</summary>
    public const int ExplainedFeatures = 3;

    private readonly DiversityOptions _diversity = diversity.Value;

    /// <summary>The next page of a list an earlier page ranked, when the token points to one that is still kept;
    /// null for a first page or when the list was evicted (then rank again and call <see cref="Finish"/>).</summary>
    public SearchResponse? Continue(string pageToken, int pageSize, string fingerprint)
    {
        var position = PageToken.ReadPosition(pageToken, fingerprint);
        if (position.QueryId is null || !lists.TryGetPage(position.QueryId, position.Offset, pageSize, out var kept))
        {
            return null;
        }

        var response = Page(new PageSource(kept), position.Offset, pageSize, fingerprint);
        if (kept.Intent is not null)
        {
            response.Intent = kept.Intent;
        }

        return response;
    }

    /// <summary>Ranks the candidates and returns the page at <paramref name="offset"/>. <paramref name="intent"/> is kept
    /// with the list so later pages can echo it.</summary>
    public SearchResponse Finish(
        SearchContext context, List<Candidate> candidates, int offset, int pageSize, string fingerprint, Contracts.Ranking.V1.Intent? intent = null)
    {
        var model = rankers.Current;

        // A model that notes its leaves while scoring explains this page from them instead of walking again.
        var explainer = model as ILeafExplainer;
        var leaves = explainer is null ? null : ArrayPool<int>.Shared.Rent(Math.Max(1, candidates.Count * explainer.Trees));

        // The features of the whole list in one pooled block (zeroed, as a candidate's own array would start), given
        // back once the page is built: a kept list copies what later pages need (RankedListSlot).
        var features = ArrayPool<double>.Shared.Rent(Math.Max(1, candidates.Count * RankingFeature.Count));
        features.AsSpan(0, candidates.Count * RankingFeature.Count).Clear();
        for (var i = 0; i < candidates.Count; i++)
        {
            candidates[i].BindFeatures(features, i);
        }

        try
        {
            var ranked = Rank(context, candidates, model, leaves);
            var queryId = NewId.NextGuid().ToString("N");
            if (lists.Enabled && offset + pageSize < ranked.Length)
            {
                lists.Add(queryId, ranked, candidates.Count, model, intent);
            }

            var response = Page(new PageSource(queryId, ranked, candidates.Count, model, leaves), offset, pageSize, fingerprint);
            if (intent is not null)
            {
                response.Intent = intent;
            }

            return response;
        }
        finally
        {
            if (leaves is not null)
            {
                ArrayPool<int>.Shared.Return(leaves);
            }

            // Rules and diversity reorder the list but neither add nor drop candidates, so these are the ones bound.
            foreach (var c in candidates)
            {
                c.BindFeatures(null, 0);
            }

            ArrayPool<double>.Shared.Return(features);
        }
    }

    /// <summary>The ordered list: scores, rules, diversity and pinned positions applied; vectors dropped.</summary>
    public Candidate[] Rank(SearchContext context, List<Candidate> candidates, IRankerModel model) => Rank(context, candidates, model, null);

    /// <summary><see cref="Rank(SearchContext, List{Candidate}, IRankerModel)"/>; with <paramref name="leaves"/>
    /// (<paramref name="model"/> an <see cref="ILeafExplainer"/>), each candidate's leaves go to its
    /// <see cref="Candidate.ScoredRow"/> of that buffer.</summary>
    private Candidate[] Rank(SearchContext context, List<Candidate> candidates, IRankerModel model, int[]? leaves)
    {
        featureExtractor.Extract(context, candidates);
        if (leaves is not null && model is ILeafExplainer explainer)
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                candidates[i].ScoredRow = i;
            }

            explainer.ScoreAll(candidates, leaves.AsSpan(0, candidates.Count * explainer.Trees));
        }
        else
        {
            Score(model, candidates);
        }

        var tenantRules = rules.For(context.Tenant);
        tenantRules.Apply(candidates);
        var stockFirst = tenantRules.OutOfStock == OutOfStockMode.Bottom;
        candidates.Sort(stockFirst ? CompareStockFirst : CompareByScore);

        List<Candidate>? pinned = null;
        if (tenantRules.HasPinned)
        {
            pinned = candidates.Where(c => (c.Effects & TailEffects.Pinned) != 0).ToList();
            if (pinned.Count > 0)
            {
                candidates.RemoveAll(c => (c.Effects & TailEffects.Pinned) != 0);
            }
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            candidates[i].ModelRank = i;
        }

        if (_diversity.Mode != DiversityMode.None)
        {
            var exempt = (IReadOnlyCollection<string>?)context.Intent?.Brands ?? [];
            var inStock = stockFirst ? candidates.FindIndex(c => !c.Pin.InStock) : -1;
            if (inStock < 0)
            {
                Diversifier.Apply(_diversity, candidates, 0, candidates.Count, exempt);
            }
            else
            {
                Diversifier.Apply(_diversity, candidates, 0, inStock, exempt);
                Diversifier.Apply(_diversity, candidates, inStock, candidates.Count, exempt);
            }
        }

        if (pinned is { Count: > 0 })
        {
            foreach (var p in pinned.OrderBy(p => tenantRules.PinnedPosition(p.Pin.Id)))
            {
                candidates.Insert(Math.Min(tenantRules.PinnedPosition(p.Pin.Id) - 1, candidates.Count), p);
            }
        }

        var ranked = candidates.ToArray();
        foreach (var c in ranked)
        {
            c.Vector = null;
        }

        return ranked;
    }

    /// <summary>Every candidate's model score (<see cref="IRankerModel.Score"/> of its features, or a leaf explainer's
    /// <see cref="ILeafExplainer.ScoreAll"/>, which is the same).</summary>
    public static void Score(IRankerModel model, List<Candidate> candidates)
    {
        if (model is ILeafExplainer explainer)
        {
            explainer.ScoreAll(candidates, default);
            return;
        }

        foreach (var c in candidates)
        {
            c.Score = model.Score(c.Features.Values);
        }
    }

    private static int CompareByScore(Candidate a, Candidate b)
    {
        var byScore = b.Score.CompareTo(a.Score);
        return byScore != 0 ? byScore : string.CompareOrdinal(a.Pin.Id, b.Pin.Id);
    }

    private static int CompareStockFirst(Candidate a, Candidate b) =>
        a.Pin.InStock != b.Pin.InStock ? (a.Pin.InStock ? -1 : 1) : CompareByScore(a, b);

    /// <summary>The page at <paramref name="offset"/> of a list just ranked (explained from its exact features, or from
    /// the noted leaves) or of a kept one.</summary>
    private static SearchResponse Page(in PageSource source, int offset, int pageSize, string fingerprint)
    {
        var explainer = source.Leaves is null ? null : source.Model as ILeafExplainer;
        var response = new SearchResponse
        {
            QueryId = source.QueryId,
            TotalCandidates = source.TotalCandidates,
            ModelVersion = source.Model.Version,
        };
        Span<double> contributions = stackalloc double[RankingFeature.Count];
        Span<double> kept = stackalloc double[RankingFeature.Count];
        Span<int> top = stackalloc int[ExplainedFeatures];
        var end = Math.Min(source.Count, offset + pageSize);
        for (var i = offset; i < end; i++)
        {
            var fresh = source.Fresh?[i];
            var entry = fresh is null ? source.Kept![i] : new RankedEntry(fresh);
            ReadOnlySpan<double> features = fresh is null ? kept : fresh.Features.Values;
            if (fresh is null)
            {
                source.Kept!.Features(i, kept);
            }

            var result = new RankedPin { Pin = entry.Message, Score = entry.Score, Position = i + 1 };
            AddRuleExplanations(entry, result);
            if (explainer is not null)
            {
                explainer.ExplainLeaves(source.Leaves.AsSpan(fresh!.ScoredRow * explainer.Trees, explainer.Trees), contributions);
            }
            else
            {
                source.Model.Explain(features, contributions);
            }

            var count = TopContributions(contributions, top);
            for (var k = 0; k < count; k++)
            {
                var f = top[k];
                result.Explanation.Add(new FeatureContribution
                {
                    Feature = RankingFeature.Names[f],
                    Value = features[f],
                    Contribution = contributions[f],
                });
            }

            response.Results.Add(result);
        }

        if (end < source.Count)
        {
            response.NextPageToken = PageToken.Create(end, source.QueryId, fingerprint);
        }

        return response;
    }

    /// <summary>Rule and diversity entries lead the explanation, so a storefront sees why a pin moved.</summary>
    private static void AddRuleExplanations(in RankedEntry c, RankedPin result)
    {
        var effects = c.Effects;
        if (effects == TailEffects.None)
        {
            return;
        }

        if ((effects & TailEffects.Pinned) != 0)
        {
            result.Explanation.Add(new FeatureContribution { Feature = TailExplanations.Pinned, Value = result.Position });
        }

        if ((effects & TailEffects.Boosted) != 0)
        {
            result.Explanation.Add(new FeatureContribution { Feature = TailExplanations.Boost, Value = 1, Contribution = c.BoostDelta });
        }

        if ((effects & TailEffects.Buried) != 0)
        {
            result.Explanation.Add(new FeatureContribution { Feature = TailExplanations.Bury, Value = 1, Contribution = c.BuryDelta });
        }

        if ((effects & TailEffects.OutOfStock) != 0)
        {
            result.Explanation.Add(new FeatureContribution { Feature = TailExplanations.OutOfStock, Value = 1, Contribution = c.OutOfStockDelta });
        }

        if ((effects & TailEffects.Diversified) != 0)
        {
            // Value: the 1-based position the model (with rules) gave before diversity.
            result.Explanation.Add(new FeatureContribution { Feature = TailExplanations.Diversity, Value = c.ModelRank + 1 });
        }
    }

    /// <summary>Indices of the largest positive contributions, largest first, without allocating.</summary>
    private static int TopContributions(ReadOnlySpan<double> contributions, Span<int> top)
    {
        var count = 0;
        for (var f = 0; f < contributions.Length; f++)
        {
            var v = contributions[f];
            if (!(v > 0))
            {
                continue;
            }

            var at = count < top.Length ? count : top.Length;
            while (at > 0 && contributions[top[at - 1]] < v)
            {
                at--;
            }

            if (at >= top.Length)
            {
                continue;
            }

            var last = Math.Min(count, top.Length - 1);
            for (var k = last; k > at; k--)
            {
                top[k] = top[k - 1];
            }

            top[at] = f;
            count = Math.Min(count + 1, top.Length);
        }

        return count;
    }
}

/// <summary>What a page is cut from: a list just ranked (its candidates, with the leaves they were scored into when
/// the model notes them) or a page of a kept list (<see cref="KeptPage"/>).</summary>
internal readonly struct PageSource
{
    public PageSource(string queryId, Candidate[] fresh, int totalCandidates, IRankerModel model, int[]? leaves)
    {
        QueryId = queryId;
        Fresh = fresh;
        Count = fresh.Length;
        TotalCandidates = totalCandidates;
        Model = model;
        Leaves = leaves;
    }

    public PageSource(KeptPage kept)
    {
        QueryId = kept.QueryId;
        Kept = kept;
        Count = kept.Count;
        TotalCandidates = kept.TotalCandidates;
        Model = kept.Model;
    }

    public string QueryId { get; }

    public Candidate[]? Fresh { get; }

    public KeptPage? Kept { get; }

    public int Count { get; }

    public int TotalCandidates { get; }

    public IRankerModel Model { get; }

    public int[]? Leaves { get; }
}

/// <summary>Explanation entries the tail adds next to the model's features.</summary>
public static class TailExplanations
{
    public const string Boost = "rule:boost";
    public const string Bury = "rule:bury";
    public const string OutOfStock = "rule:out_of_stock";

    /// <summary>Value: the fixed 1-based position.</summary>
    public const string Pinned = "rule:pinned";

    /// <summary>Value: the position before diversity moved the pin down.</summary>
    public const string Diversity = "diversity";
}

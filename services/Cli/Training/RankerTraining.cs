using Recommender.Embeddings.Evaluation;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;

namespace Recommender.Cli.Training;

/// <summary>One judged query's retrieved candidates with features, labels and grades.</summary>
public sealed record QueryCandidates(
    string Dataset, string QueryId, string Split, string[] ProductIds, float[][] Features, int[] Grades,
    IReadOnlyDictionary<string, float> Labels);

/// <summary>A judged query before retrieval.</summary>
public sealed record JudgedQuery(string Dataset, string QueryId, string Query, string Split, IReadOnlyDictionary<string, float> Labels, Func<float, int> Grade);

public sealed record SplitMetrics(string Dataset, string Method, int Queries, double Ndcg10, double Recall100);

public static class RankerTraining
{
    /// <summary>Distinct queries of the train and val splits; a product judged more than once gets its mean label.</summary>
    public static List<JudgedQuery> Queries(IEnumerable<JudgmentSet> sets) =>
        sets.SelectMany(set => set.Judgments
                .Where(j => j.Split is "train" or "val")
                .GroupBy(j => j.QueryId, StringComparer.Ordinal)
                .Select(g => new JudgedQuery(
                    Dataset(set.File), g.Key, g.First().Query, g.First().Split,
                    g.GroupBy(j => j.ProductId, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Average(j => j.Label), StringComparer.Ordinal),
                    set.Grade)))
            .ToList();

    /// <summary>Whether a train query belongs to the ranker's share (stable hash of its id) rather than the
    /// embedder's: the embedder never sees the ranker's queries, so their semantic scores are as honest as at serving.</summary>
    public static bool ForRanker(string queryId, double share) =>
        share >= 1 || (share > 0 && (Recommender.Embeddings.StableHash.Fnv1a(queryId) % 10_000) < share * 10_000);

    public static string Dataset(string file) => Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? file;

    public static QueryCandidates ToRows(JudgedQuery query, List<Candidate> candidates)
    {
        var ids = new string[candidates.Count];
        var rows = new float[candidates.Count][];
        var grades = new int[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            ids[i] = c.Pin.Id;
            rows[i] = c.Features.ToSingleArray();
            grades[i] = query.Labels.TryGetValue(c.Pin.Id, out var label) ? query.Grade(label) : 0;
        }

        return new QueryCandidates(query.Dataset, query.QueryId, query.Split, ids, rows, grades, query.Labels);
    }

    /// <summary>Queries of the split where some candidate has a positive grade (others carry no ranking signal).</summary>
    public static List<RankingGroup> Groups(IEnumerable<QueryCandidates> queries, string split) =>
        queries.Where(q => q.Split == split && q.Grades.Any(g => g > 0))
            .Select(q => new RankingGroup(q.QueryId, q.Features, q.Grades))
            .ToList();

    /// <summary>NDCG@10 and recall@100 (RetrievalMetrics) of the val queries, ranked by the model (ties by product id,
    /// as RankingTail orders), per dataset.</summary>
    public static List<SplitMetrics> Evaluate(IEnumerable<QueryCandidates> queries, string split, string method, Func<float[], double>? score)
    {
        var result = new List<SplitMetrics>();
        foreach (var dataset in queries.Where(q => q.Split == split).GroupBy(q => q.Dataset))
        {
            double ndcg = 0, recall = 0;
            int ndcgCount = 0, recallCount = 0;
            foreach (var q in dataset)
            {
                var ranked = Rank(q, score);
                var n = RetrievalMetrics.NdcgAt(10, ranked, q.Labels);
                if (!double.IsNaN(n))
                {
                    ndcg += n;
                    ndcgCount++;
                }

                var r = RetrievalMetrics.RecallAt(100, ranked, q.Labels);
                if (!double.IsNaN(r))
                {
                    recall += r;
                    recallCount++;
                }
            }

            result.Add(new SplitMetrics(dataset.Key, method, ndcgCount, ndcgCount > 0 ? ndcg / ndcgCount : 0, recallCount > 0 ? recall / recallCount : 0));
        }

        return result;
    }

    /// <summary>Product ids in model order (retrieval order when <paramref name="score"/> is null).</summary>
    public static List<string> Rank(QueryCandidates q, Func<float[], double>? score)
    {
        if (score is null)
        {
            return [.. q.ProductIds];
        }

        var scores = new double[q.ProductIds.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = score(q.Features[i]);
        }

        return Order(q, scores);
    }

    /// <summary>Early stopping after the fact: the number of boosting rounds (a multiple of <paramref name="step"/>)
    /// whose ensemble prefix has the best mean NDCG@10 on the split's queries.</summary>
    public static (int Trees, double Ndcg10) BestPrefix(TreeEnsembleData ensemble, IReadOnlyList<QueryCandidates> queries, string split, int step)
    {
        var evaluated = queries.Where(q => q.Split == split).ToList();
        var scores = evaluated.Select(q => new double[q.ProductIds.Length]).ToList();
        var features = new double[RankingFeature.Count];
        (int Trees, double Ndcg10) best = (0, double.NegativeInfinity);
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = new TreeEnsembleRanker("tree", new TreeEnsembleData(0, [ensemble.Trees[t]]));
            for (var q = 0; q < evaluated.Count; q++)
            {
                var rows = evaluated[q].Features;
                for (var i = 0; i < rows.Length; i++)
                {
                    for (var f = 0; f < rows[i].Length; f++)
                    {
                        features[f] = rows[i][f];
                    }

                    scores[q][i] += tree.Score(features);
                }
            }

            if ((t + 1) % step != 0 && t + 1 != ensemble.Trees.Count)
            {
                continue;
            }

            double sum = 0;
            var count = 0;
            for (var q = 0; q < evaluated.Count; q++)
            {
                var s = scores[q];
                var ndcg = RetrievalMetrics.NdcgAt(10, Order(evaluated[q], s), evaluated[q].Labels);
                if (!double.IsNaN(ndcg))
                {
                    sum += ndcg;
                    count++;
                }
            }

            var mean = count > 0 ? sum / count : 0;
            if (mean > best.Ndcg10)
            {
                best = (t + 1, mean);
            }
        }

        return best;
    }

    private static List<string> Order(QueryCandidates q, double[] scores)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var byScore = scores[b].CompareTo(scores[a]);
            return byScore != 0 ? byScore : string.CompareOrdinal(q.ProductIds[a], q.ProductIds[b]);
        });
        return order.Select(i => q.ProductIds[i]).ToList();
    }

    /// <summary>Saves retrieved candidates and features (for tuning runs that skip retrieval; never commit it:
    /// it holds labels).</summary>
    public static void SaveCache(string path, IReadOnlyList<QueryCandidates> queries)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(RankingFeature.Count);
        writer.Write(queries.Count);
        foreach (var q in queries)
        {
            writer.Write(q.Dataset);
            writer.Write(q.QueryId);
            writer.Write(q.Split);
            writer.Write(q.Labels.Count);
            foreach (var (id, label) in q.Labels)
            {
                writer.Write(id);
                writer.Write(label);
            }

            writer.Write(q.ProductIds.Length);
            for (var i = 0; i < q.ProductIds.Length; i++)
            {
                writer.Write(q.ProductIds[i]);
                writer.Write(q.Grades[i]);
                foreach (var v in q.Features[i])
                {
                    writer.Write(v);
                }
            }
        }
    }

    public static List<QueryCandidates>? LoadCache(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        // A cache written before the query-log features existed is still good: train recomputes that group
        // (QueryLogTraining.Fill) on every run, cached or not.
        var stored = reader.ReadInt32();
        if (stored != RankingFeature.Count && stored != RankingFeature.QueryLogBm25)
        {
            return null;
        }

        var count = reader.ReadInt32();
        var result = new List<QueryCandidates>(count);
        for (var n = 0; n < count; n++)
        {
            var dataset = reader.ReadString();
            var queryId = reader.ReadString();
            var split = reader.ReadString();
            var labels = new Dictionary<string, float>(StringComparer.Ordinal);
            var labelCount = reader.ReadInt32();
            for (var i = 0; i < labelCount; i++)
            {
                labels[reader.ReadString()] = reader.ReadSingle();
            }

            var rows = reader.ReadInt32();
            var ids = new string[rows];
            var grades = new int[rows];
            var features = new float[rows][];
            for (var i = 0; i < rows; i++)
            {
                ids[i] = reader.ReadString();
                grades[i] = reader.ReadInt32();
                features[i] = new float[RankingFeature.Count];
                for (var f = 0; f < stored; f++)
                {
                    features[i][f] = reader.ReadSingle();
                }
            }

            result.Add(new QueryCandidates(dataset, queryId, split, ids, features, grades, labels));
        }

        return result;
    }

    /// <summary>Scores a float row with a model (the service scores the same values as doubles).</summary>
    public static Func<float[], double> Scorer(IRankerModel model) => row =>
    {
        Span<double> features = stackalloc double[RankingFeature.Count];
        for (var f = 0; f < row.Length; f++)
        {
            features[f] = row[f];
        }

        return model.Score(features);
    };
}

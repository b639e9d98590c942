using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using Microsoft.ML.Data;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;

namespace Recommender.Ranking.Tests;

/// <summary>LambdaRank training, the exported tree ensemble, its artifact and the hot-swapping watcher.</summary>
public sealed class LearningToRankTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ltr-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Score_ExportedEnsemble_MatchesMlNetPrediction()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic(seed: 1, groups: 150);
        var test = Synthetic(seed: 2, groups: 30);
        var transformer = LambdaRankTrainer.Train(ml, train, RankingFeature.Count, SmallModel);
        var ranker = new TreeEnsembleRanker("t", LambdaRankTrainer.Export(transformer.Model, train.SelectMany(g => g.Features)));

        var scores = transformer.Transform(LambdaRankTrainer.ToDataView(ml, test, RankingFeature.Count)).GetColumn<float>("Score").ToArray();
        var rows = test.SelectMany(g => g.Features).ToArray();
        Assert.Equal(rows.Length, scores.Length);
        Assert.True(ranker.Data.Trees.Count >= 10, $"only {ranker.Data.Trees.Count} trees");
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(scores[i], ranker.Score(ToDouble(rows[i])), 1e-5);
        }

        Assert.True(scores.Distinct().Count() > 20, "the model should not score every row alike");
    }

    [Fact]
    public void Explain_Contributions_SumToScoreMinusOneExpectedScore()
    {
        var train = Synthetic(seed: 3, groups: 100);
        var model = LambdaRankTrainer.Train(new MLContext(seed: 1), train, RankingFeature.Count, SmallModel).Model;
        var ranker = new TreeEnsembleRanker("t", LambdaRankTrainer.Export(model, train.SelectMany(g => g.Features)));
        var contributions = new double[RankingFeature.Count];
        var baselines = new List<double>();
        foreach (var row in train[0].Features.Take(10))
        {
            var features = ToDouble(row);
            ranker.Explain(features, contributions);
            baselines.Add(ranker.Score(features) - contributions.Sum());
        }

        Assert.All(baselines, b => Assert.Equal(baselines[0], b, 1e-9));

        // The synthetic grade depends on title_coverage and title_bm25 only: they must carry the largest attributions.
        var total = new double[RankingFeature.Count];
        foreach (var row in train.SelectMany(g => g.Features).Take(500))
        {
            ranker.Explain(ToDouble(row), contributions);
            for (var f = 0; f < total.Length; f++)
            {
                total[f] += Math.Abs(contributions[f]);
            }
        }

        var top = Enumerable.Range(0, total.Length).OrderByDescending(f => total[f]).Take(2).ToHashSet();
        Assert.Equal([RankingFeature.TitleCoverage, RankingFeature.TitleBm25], top.Order());
    }

    [Fact]
    public void Load_SavedArtifact_RoundTripsVersionAndScores()
    {
        var train = Synthetic(seed: 4, groups: 60);
        var ensemble = LambdaRankTrainer.Export(LambdaRankTrainer.Train(new MLContext(seed: 1), train, RankingFeature.Count, SmallModel).Model);
        var manifest = RankerArtifact.Save(_dir, ensemble, Template());
        var loaded = RankerArtifact.Load(_dir);

        Assert.StartsWith("lgbm-", manifest.Version, StringComparison.Ordinal);
        Assert.Equal(manifest.Version, loaded.Version);
        Assert.Equal(RankingFeature.Names, RankerArtifact.ReadManifest(_dir).FeatureNames);
        var original = new TreeEnsembleRanker("x", ensemble);
        foreach (var row in train.SelectMany(g => g.Features).Take(200))
        {
            Assert.Equal(original.Score(ToDouble(row)), loaded.Score(ToDouble(row)));
        }
    }

    [Fact]
    public async Task CheckNow_NewVersionWrittenWhileScoring_SwapsAndScoringNeverFails()
    {
        var first = TrainEnsemble(seed: 5);
        var second = TrainEnsemble(seed: 6);
        var v1 = RankerArtifact.Save(_dir, first, Template()).Version;
        var registry = new RankerRegistry();
        var watcher = Watcher(registry);
        await watcher.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(v1, registry.Current.Version);

        var row = ToDouble(Synthetic(seed: 7, groups: 1)[0].Features[0]);
        var expected = new Dictionary<string, double>
        {
            [v1] = new TreeEnsembleRanker(v1, first).Score(row),
        };
        using var stop = new CancellationTokenSource();
        var seen = new HashSet<string>();
        var scoring = Task.Run(() =>
        {
            var scored = 0;
            while (!stop.IsCancellationRequested || scored == 0)
            {
                var model = registry.Current;
                var score = model.Score(row);
                lock (seen)
                {
                    seen.Add(model.Version + "=" + score.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                }

                scored++;
            }

            return scored;
        }, TestContext.Current.CancellationToken);

        var v2 = RankerArtifact.Save(_dir, second, Template()).Version;
        expected[v2] = new TreeEnsembleRanker(v2, second).Score(row);
        Assert.NotEqual(v1, v2);
        Assert.True(watcher.CheckNow());
        Assert.Equal(v2, registry.Current.Version);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        Assert.True(await scoring > 0);
        Assert.Contains(seen, s => s.StartsWith(v2, StringComparison.Ordinal));
        Assert.All(seen, s =>
        {
            var parts = s.Split('=');
            Assert.Equal(expected[parts[0]], double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        });
        Assert.False(watcher.CheckNow());
        await watcher.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CheckNow_BrokenNewArtifact_KeepsOldModel()
    {
        var v1 = RankerArtifact.Save(_dir, TrainEnsemble(seed: 8), Template()).Version;
        var registry = new RankerRegistry();
        var watcher = Watcher(registry);
        await watcher.StartAsync(TestContext.Current.CancellationToken);

        // A new version whose trees file is damaged after the manifest was written: the hash check fails.
        var broken = RankerArtifact.Save(_dir, TrainEnsemble(seed: 9), Template());
        var trees = Path.Combine(_dir, broken.ModelFile);
        var bytes = await File.ReadAllBytesAsync(trees, TestContext.Current.CancellationToken);
        bytes[bytes.Length / 2] ^= 0x5a;
        await File.WriteAllBytesAsync(trees, bytes, TestContext.Current.CancellationToken);
        Assert.False(watcher.CheckNow());
        Assert.Equal(v1, registry.Current.Version);

        // A manifest that is not JSON.
        await File.WriteAllTextAsync(Path.Combine(_dir, RankerManifest.FileName), "{ not json", TestContext.Current.CancellationToken);
        Assert.False(watcher.CheckNow());
        Assert.Equal(v1, registry.Current.Version);
        Assert.Throws<InvalidDataException>(() => RankerArtifact.Load(_dir));
        await watcher.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Train_TinySyntheticJudgments_RanksRelevantItemFirst()
    {
        // Each query names a product type and a colour; its one relevant pin has both in the title, the others one
        // or neither. Retrieval scores are random, so only the extracted text features can tell them apart.
        var random = new Random(11);
        string[] types = ["drill", "hammer", "ladder", "lamp", "faucet", "shelf", "rug", "mirror", "heater", "fan"];
        string[] colours = ["red", "blue", "green", "black", "white", "yellow"];
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        var groups = new List<(List<Candidate> Candidates, int[] Grades)>();
        for (var q = 0; q < 120; q++)
        {
            var type = types[random.Next(types.Length)];
            var colour = colours[random.Next(colours.Length)];
            var otherType = types.First(t => t != type);
            var otherColour = colours.First(c => c != colour);
            var titles = new List<(string Title, int Grade)>
            {
                ($"Acme {colour} {type} deluxe", 4),
                ($"Acme {otherColour} {type} deluxe", 1),
                ($"Acme {colour} {otherType} classic", 0),
                ($"Acme {otherColour} {otherType} classic", 0),
                ($"Zenith {colour} {otherType} {otherColour}", 0),
            };
            var candidates = titles.OrderBy(_ => random.Next())
                .Select((t, i) => (Candidate: new Candidate(Pin($"q{q}-{i}", t.Title), (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()), t.Grade))
                .ToList();
            var list = candidates.Select(c => c.Candidate).ToList();
            extractor.Extract(new SearchContext("t", TextTokenizer.Tokenize($"{colour} {type}")), list);
            groups.Add((list, candidates.Select(c => c.Grade).ToArray()));
        }

        var rankingGroups = groups.Select((g, i) => new RankingGroup($"q{i}", g.Candidates.Select(c => c.Features.ToSingleArray()).ToArray(), g.Grades)).ToList();
        var model = LambdaRankTrainer.Train(new MLContext(seed: 1), rankingGroups[..90], RankingFeature.Count,
            SmallModel with { MinRowsPerLeaf = 5 }).Model;
        var ranker = new TreeEnsembleRanker("tiny", LambdaRankTrainer.Export(model));

        foreach (var (candidates, grades) in groups[90..])
        {
            var best = Enumerable.Range(0, candidates.Count).MaxBy(i => ranker.Score(candidates[i].Features.Values));
            Assert.Equal(4, grades[best]);
        }
    }

    [Fact]
    public void Train_HomeDepotSample_BeatsRetrievalOrderOnHeldOutQueries()
    {
        var products = TestData.SharedProducts("homedepot");
        var judgmentsFile = products is null ? null : Path.Combine(Path.GetDirectoryName(products)!, "judgments.jsonl.gz");
        if (judgmentsFile is null || !File.Exists(judgmentsFile))
        {
            Assert.Skip("../shared/data/homedepot (products + judgments) is not on this machine (set RECOMMENDER_SHARED_DATA); skipped.");
        }

        // Small and fast: 400 train + 150 val queries; each query's candidates are its judged products plus 15 other
        // products' titles, in random "retrieval" order, so only the text features can find the judged ones.
        var titles = Recommender.Embeddings.Training.CatalogFiles.ReadProducts(products!).ToDictionary(p => p.Id, p => p.Title, StringComparer.Ordinal);
        var judged = Recommender.Embeddings.Training.CatalogFiles.ReadJudgments(judgmentsFile).GroupBy(j => j.QueryId).ToList();
        var random = new Random(5);
        var ids = titles.Keys.ToArray();
        var extractor = new FeatureExtractor(NoEngagement.Instance);
        List<RankingGroup> Build(string split, int count) => judged.Where(g => g.First().Split == split).Take(count).Select(g =>
        {
            var labels = g.GroupBy(j => j.ProductId).ToDictionary(x => x.Key, x => x.Average(j => j.Label));
            var pins = labels.Keys.Concat(Enumerable.Range(0, 15).Select(_ => ids[random.Next(ids.Length)])).Distinct()
                .OrderBy(_ => random.Next()).Select(id => Pin(id, titles[id])).ToList();
            var candidates = pins.Select(p => new Candidate(p, 0, 0, 0)).ToList();
            extractor.Extract(new SearchContext("t", TextTokenizer.Tokenize(g.First().Query)), candidates);
            return new RankingGroup(g.Key,
                candidates.Select(c => c.Features.ToSingleArray()).ToArray(),
                candidates.Select(c => labels.TryGetValue(c.Pin.Id, out var l) ? (int)Math.Round((l - 1) * 2) : 0).ToArray());
        }).ToList();
        var train = Build("train", 400);
        var val = Build("val", 150);

        var ranker = new TreeEnsembleRanker("hd", LambdaRankTrainer.Export(
            LambdaRankTrainer.Train(new MLContext(seed: 1), train, RankingFeature.Count, SmallModel with { Trees = 60, LearningRate = 0.1 }).Model));

        double Ndcg(Func<RankingGroup, int, double> score) => val.Average(g =>
        {
            var order = Enumerable.Range(0, g.Grades.Length).OrderByDescending(i => score(g, i)).ToList();
            double Dcg(IEnumerable<int> grades) => grades.Take(10).Select((grade, rank) => grade / Math.Log2(rank + 2)).Sum();
            var ideal = Dcg(g.Grades.OrderDescending());
            return ideal > 0 ? Dcg(order.Select(i => g.Grades[i])) / ideal : 0;
        });
        var model = Ndcg((g, i) => ranker.Score(ToDouble(g.Features[i])));
        var retrieval = Ndcg((g, i) => -i);
        Assert.True(model > retrieval + 0.2, $"model NDCG@10 {model:F3}, retrieval order {retrieval:F3}");
    }

    private static LambdaRankOptions SmallModel => new() { Trees = 40, Leaves = 8, MinRowsPerLeaf = 10, LearningRate = 0.2, Threads = 1 };

    private static PinData Pin(string id, string title) => new() { Id = id, Tenant = "t", Title = title, Brand = title.Split(' ')[0] };

    private static TreeEnsembleData TrainEnsemble(int seed)
    {
        var train = Synthetic(seed, groups: 60);
        return LambdaRankTrainer.Export(LambdaRankTrainer.Train(new MLContext(seed: seed), train, RankingFeature.Count, SmallModel).Model);
    }

    private RankerModelWatcher Watcher(RankerRegistry registry) =>
        new(registry, Options.Create(new RankerModelOptions { Path = _dir, ReloadIntervalMs = 3_600_000 }), NullLogger<RankerModelWatcher>.Instance);

    private static RankerManifest Template() => new() { Version = "", ModelFile = "", Sha256 = "", FeatureNames = RankingFeature.Names };

    /// <summary>Random feature rows; the grade grows with title_coverage + title_bm25 (plus noise).</summary>
    internal static List<RankingGroup> Synthetic(int seed, int groups, int rows = 20)
    {
        var random = new Random(seed);
        var result = new List<RankingGroup>();
        for (var g = 0; g < groups; g++)
        {
            var features = new float[rows][];
            var grades = new int[rows];
            for (var r = 0; r < rows; r++)
            {
                var row = features[r] = new float[RankingFeature.Count];
                for (var f = 0; f < row.Length; f++)
                {
                    row[f] = (float)random.NextDouble();
                }

                var signal = row[RankingFeature.TitleCoverage] + row[RankingFeature.TitleBm25] + (0.2 * random.NextDouble());
                grades[r] = Math.Clamp((int)(signal * 2.2) - 1, 0, 4);
            }

            result.Add(new RankingGroup($"g{g}", features, grades));
        }

        return result;
    }

    private static double[] ToDouble(float[] row) => Array.ConvertAll(row, v => (double)v);
}

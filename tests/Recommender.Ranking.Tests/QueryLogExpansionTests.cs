using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.QueryLog;

namespace Recommender.Ranking.Tests;

/// <summary>Query-log document expansion: its features, its file, and the watcher that ships it with the ranker.</summary>
public sealed class QueryLogExpansionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "qlog-tests-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly QueryLogExpansion Log = QueryLogExpansion.Build(
    [
        ("bracket-1", "angle bracket"),
        ("bracket-1", "l bracket"),
        ("bracket-1", "Angle  Bracket"), // the same normalised query again: counted once
        ("bracket-2", "shelf bracket"),
        ("hinge-1", "door hinge"),
    ]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Build_RepeatedQuery_CountedOncePerPin()
    {
        Assert.Equal(["angle bracket", "l bracket"], Log.QueriesOf("bracket-1"));
        Assert.Equal(3, Log.Pins);
        Assert.Equal(4, Log.Queries);
    }

    [Fact]
    public void Extract_PinFoundByTheseWords_ScoresAbovePinsFoundByOthers()
    {
        var candidates = Candidates("bracket-1", "bracket-2", "hinge-1", "never-found");

        Log.Extract(TextTokenizer.Tokenize("angle brackets"), candidates);

        var f = candidates.Select(c => c.Features.Values.ToArray()).ToArray();
        Assert.Equal(1, f[0][RankingFeature.QueryLogBm25]); // the best in the set
        Assert.Equal(1, f[0][RankingFeature.QueryLogCoverage]);
        Assert.Equal(1, f[0][RankingFeature.QueryLogBestMatch]); // "angle bracket" found it (plural folded)
        Assert.InRange(f[1][RankingFeature.QueryLogBm25], 0.01, 0.99); // "bracket" only
        Assert.Equal(0.5, f[1][RankingFeature.QueryLogCoverage]);
        Assert.Equal(1 / 3.0, f[1][RankingFeature.QueryLogBestMatch], 1e-9);
        Assert.Equal(0, f[2][RankingFeature.QueryLogCoverage]);
        Assert.True(f[2][RankingFeature.QueryLogQueries] > 0, "a pin some search found counts its searches");
        Assert.All(f[3][RankingFeature.QueryLogBm25..(RankingFeature.QueryLogQueries + 1)], v => Assert.Equal(0, v));
        Assert.True(f[0][RankingFeature.QueryLogQueries] > f[1][RankingFeature.QueryLogQueries]);
    }

    /// <summary>Candidates carrying retrieved pins (as Search's do) keep each pin's entry on it: the same features as
    /// a lookup by id, in later searches too, and a log swapped in afterwards is looked up again, not served the old
    /// log's entry.</summary>
    [Fact]
    public void Extract_CandidatesCarryingRetrievedPins_SameFeaturesAndANewLogLooksAgain()
    {
        var plain = Candidates("bracket-1", "bracket-2", "hinge-1", "never-found");
        var retrieved = plain.Select(c => new RetrievedPin(c.Pin)).ToArray();
        List<Candidate> Carrying() => plain.Select((c, i) => new Candidate(c.Pin, 0.5f, 0.5f, 0.5f) { Retrieved = retrieved[i] }).ToList();
        var tokens = TextTokenizer.Tokenize("angle brackets");
        Log.Extract(tokens, plain);

        var first = Carrying();
        Log.Extract(tokens, first);
        var again = Carrying();
        Log.Extract(tokens, again);

        Assert.Equal(Features(plain), Features(first));
        Assert.Equal(Features(plain), Features(again));
        var swapped = QueryLogExpansion.Build([("hinge-1", "angle bracket hinge")]);
        var expected = Candidates("bracket-1", "bracket-2", "hinge-1", "never-found");
        swapped.Extract(tokens, expected);
        var afterSwap = Carrying();
        swapped.Extract(tokens, afterSwap);
        Assert.Equal(Features(expected), Features(afterSwap));
        Assert.Equal(1, afterSwap[2].Features[RankingFeature.QueryLogBm25]);
        Assert.Equal(0, afterSwap[0].Features[RankingFeature.QueryLogBm25]);

        static double[][] Features(List<Candidate> candidates) => candidates.Select(c => c.Features.Values.ToArray()).ToArray();
    }

    [Fact]
    public void Extract_EmptyLog_LeavesFeaturesZero()
    {
        var candidates = Candidates("bracket-1");

        QueryLogExpansion.Empty.Extract(TextTokenizer.Tokenize("angle bracket"), candidates);

        Assert.All(candidates[0].Features.Values.ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void FeatureExtractor_WithRegistry_FillsQueryLogFeatures()
    {
        var registry = new QueryLogRegistry();
        var extractor = new FeatureExtractor(NoEngagement.Instance, registry);
        var before = Candidates("bracket-1", "hinge-1");
        extractor.Extract(new SearchContext("t", TextTokenizer.Tokenize("l bracket")), before);
        Assert.Equal(0, before[0].Features[RankingFeature.QueryLogCoverage]);

        registry.Swap(Log);
        var after = Candidates("bracket-1", "hinge-1");
        extractor.Extract(new SearchContext("t", TextTokenizer.Tokenize("l bracket")), after);

        Assert.Equal(1, after[0].Features[RankingFeature.QueryLogCoverage]);
        Assert.Equal(0, after[1].Features[RankingFeature.QueryLogCoverage]);
        Assert.Equal(before[0].Features[RankingFeature.TitleCoverage], after[0].Features[RankingFeature.TitleCoverage]);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameVersionAndQueries()
    {
        var file = Log.Save(_dir);
        var loaded = QueryLogExpansion.Load(Path.Combine(_dir, file));

        Assert.Equal($"query-log-{Log.Version}.json", file);
        Assert.StartsWith("qlog-", Log.Version, StringComparison.Ordinal);
        Assert.Equal(Log.Version, loaded.Version);
        Assert.Equal(Log.QueriesOf("bracket-1"), loaded.QueriesOf("bracket-1"));
    }

    [Fact]
    public void LoadForRanker_FileChangedAfterSaving_ThrowsInvalidData()
    {
        SaveRanker(Log, seed: 1);
        var file = Directory.GetFiles(_dir, "query-log-*.json").Single();
        File.WriteAllText(file, File.ReadAllText(file).Replace("hinge", "hinges", StringComparison.Ordinal));

        Assert.Throws<InvalidDataException>(() => QueryLogExpansion.LoadForRanker(_dir));
    }

    [Fact]
    public void LoadForRanker_RankerWithoutQueryLog_IsEmpty()
    {
        RankerArtifact.Save(_dir, Ensemble(1), Template(new Dictionary<string, string>()));

        Assert.Same(QueryLogExpansion.Empty, QueryLogExpansion.LoadForRanker(_dir));
    }

    [Fact]
    public async Task Watcher_RankerWithQueryLog_LoadsAndSwapsThemTogether()
    {
        var first = SaveRanker(Log, seed: 1);
        var rankers = new RankerRegistry();
        var logs = new QueryLogRegistry();
        var watcher = new RankerModelWatcher(rankers, Options.Create(new RankerModelOptions { Path = _dir, ReloadIntervalMs = 3_600_000 }),
            NullLogger<RankerModelWatcher>.Instance, logs);

        await watcher.StartAsync(TestContext.Current.CancellationToken);
        await watcher.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(first.Version, rankers.Current.Version);
        Assert.Equal(Log.Version, logs.Current.Version);

        var next = QueryLogExpansion.Build([("hinge-1", "cabinet hinge")]);
        var second = SaveRanker(next, seed: 2);
        Assert.True(watcher.CheckNow());

        Assert.Equal(second.Version, rankers.Current.Version);
        Assert.Equal(next.Version, logs.Current.Version);
        Assert.Equal(["cabinet hinge"], logs.Current.QueriesOf("hinge-1"));
    }

    private RankerManifest SaveRanker(QueryLogExpansion log, int seed)
    {
        var file = log.Save(_dir);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, file))));
        return RankerArtifact.Save(_dir, Ensemble(seed), Template(new Dictionary<string, string>
        {
            [QueryLogExpansion.ParameterFile] = file,
            [QueryLogExpansion.ParameterSha256] = sha,
        }));
    }

    private static TreeEnsembleData Ensemble(int seed)
    {
        var train = LearningToRankTests.Synthetic(seed, groups: 30);
        return LambdaRankTrainer.Export(LambdaRankTrainer.Train(new Microsoft.ML.MLContext(seed: seed), train, RankingFeature.Count,
            new LambdaRankOptions { Trees = 5, Leaves = 4, MinRowsPerLeaf = 10, LearningRate = 0.2, Threads = 1 }).Model);
    }

    private static RankerManifest Template(Dictionary<string, string> parameters) =>
        new() { Version = "", ModelFile = "", Sha256 = "", FeatureNames = RankingFeature.Names, Parameters = parameters };

    private static List<Candidate> Candidates(params string[] ids) =>
        ids.Select(id => new Candidate(new PinData { Id = id, Tenant = "t", Title = id.Replace('-', ' ') }, 0.5f, 0.5f, 0.5f)).ToList();
}

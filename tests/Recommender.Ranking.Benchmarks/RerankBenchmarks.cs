using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.QueryLog;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Benchmarks;

/// <summary>
/// Re-ranking cost per candidate: features + model score + rules + diversity (+ the first page's protos for
/// <see cref="RankAndFirstPage"/>) over 200 candidates per query, 8 queries per invocation, on the committed Icecat
/// sample (hashing-embedder vectors; candidates = the 200 nearest pins of each query, each carrying its pin's
/// <see cref="RetrievedPin"/> as Search's candidates do, since session 18). Results are per candidate
/// (OperationsPerInvoke = 8 x 200). <see cref="Model"/>: the label-free linear default, or 200 trees — the ranker
/// artifact in <c>RECOMMENDER_BENCH_RANKER</c> when set (a model <c>train</c> wrote), otherwise a synthetic
/// LightGBM-shaped ensemble (<see cref="SyntheticEnsemble"/>), so the benchmark runs anywhere.
/// </summary>
[MemoryDiagnoser]
public class RerankBenchmarks
{
    private const int Candidates = 200;
    private static readonly string[] Queries =
    [
        "toner cartridge", "usb cable under $20", "wireless mouse", "cheap laptop", "black ink not canon", "ups battery",
        "hdmi cable", "notebook bag",
    ];

    private readonly List<(SearchContext Context, List<Candidate> Candidates, Candidate[] Original, float[][] Vectors)> _sets = [];
    private RankingTail _tail = null!;
    private FeatureExtractor _features = null!;
    private IRankerModel _model = null!;
    private List<(Candidate[] Sorted, float[][] Vectors)>? _sorted;

    [Params(DiversityMode.None, DiversityMode.BrandCap, DiversityMode.Mmr)]
    public DiversityMode Diversity { get; set; }

    [Params(false, true)]
    public bool Rules { get; set; }

    [Params(BenchRanker.Linear, BenchRanker.Trees200)]
    public BenchRanker Model { get; set; }

    /// <summary>Where <see cref="BenchRanker.Trees200"/> came from (for the report).</summary>
    public string ModelSource { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var pins = CatalogFileReader.Read(Path.Combine(AppContext.BaseDirectory, "SampleData", "icecat-sample.jsonl.gz"), "bench")
            .Select((p, i) => p with { InStock = i % 20 != 0 }).ToList();
        var embedder = new HashingEmbedder();
        var parser = new EmbeddedIntentParser(CatalogVocabulary.Build(pins), null);

        // As Search hands them to the tail: each candidate carries its pin version's RetrievedPin (one per version, shared
        // by every search that retrieves it, made from a hit carrying the pin's vector), which keeps what the features
        // derive from the pin alone and the int8 copy of the vector that MMR compares; the candidate's vector is its.
        var retrievedPins = new RetrievedPins();
        var retrieved = pins.Select(p =>
        {
            var v = new float[embedder.Dimensions];
            embedder.Embed(PinText.Of(p), v);
            var hit = new Recommender.Contracts.Vector.V1.ScoredPin { Pin = p.ToProto() };
            hit.Dense.Add(v);
            return retrievedPins.Of(hit);
        }).ToArray();
        var vectors = retrieved.Select(r => r.Vector!).ToList();
        foreach (var query in Queries)
        {
            var intent = parser.Parse(query);
            var text = intent.Text.Length > 0 ? intent.Text : intent.NormalizedQuery;
            var tokens = TextTokenizer.Tokenize(text);
            var q = new float[embedder.Dimensions];
            embedder.Embed(text, q);
            var top = Enumerable.Range(0, pins.Count)
                .Select(i => (Index: i, Dot: System.Numerics.Tensors.TensorPrimitives.Dot(vectors[i], q)))
                .OrderByDescending(x => x.Dot).Take(Candidates).ToList();
            var candidates = top.Select((x, rank) =>
            {
                var title = TextTokenizer.Tokenize(pins[x.Index].Title);
                var sparse = tokens.Count(title.Contains) * 2.5f;
                return new Candidate(pins[x.Index], 1f / (60 + rank), x.Dot, sparse) { Retrieved = retrieved[x.Index] };
            }).ToList();
            _sets.Add((new SearchContext("bench", tokens, intent, "user-1"), candidates, candidates.ToArray(), top.Select(x => vectors[x.Index]).ToArray()));
        }

        var rules = new RankingRulesOptions();
        if (Rules)
        {
            rules.Default = new RuleSet
            {
                BoostBrands = ["Brother", "Logitech"], BuryBrands = ["Xerox"], BoostCategories = ["Notebook"],
                BoostPins = [pins[10].Id], BuryPins = [pins[20].Id], OutOfStock = OutOfStockMode.Bottom,
                Pinned = [new PinnedPin { PinId = _sets[0].Candidates[50].Pin.Id, Position = 3 }],
            };
        }
        else
        {
            rules.Default = new RuleSet { OutOfStock = OutOfStockMode.None };
        }

        // A query log as a trained model ships one (features 31-34): here every pin was "found" by two searches made of
        // its title's first words, so every candidate pays the lookup and the comparisons (in the Home Depot log,
        // 150 of a query's 200 candidates have entries: this is the pessimistic side).
        var queryLog = new QueryLogRegistry();
        queryLog.Swap(QueryLogExpansion.Build(pins.SelectMany(p =>
        {
            var words = p.Title.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new[] { (p.Id, string.Join(' ', words.Take(2))), (p.Id, string.Join(' ', words.Take(3))) };
        })));
        _features = new FeatureExtractor(new EngagementState(Options.Create(new EngagementOptions())), queryLog);
        var registry = new RankerRegistry();
        ModelSource = registry.Current.Version;
        if (Model == BenchRanker.Trees200)
        {
            var rows = new List<double[]>();
            foreach (var (context, candidates, _, _) in _sets)
            {
                _features.Extract(context, candidates);
                rows.AddRange(candidates.Select(c => c.Features.Values.ToArray()));
            }

            TreeEnsembleRanker trees;
            if (Environment.GetEnvironmentVariable("RECOMMENDER_BENCH_RANKER") is { Length: > 0 } rankerPath)
            {
                // A trained LambdaRank artifact (e.g. artifacts/models/final/ranker from `train`): the real trees.
                trees = RankerArtifact.Load(rankerPath);
                ModelSource = $"trained {trees.Version}";
            }
            else
            {
                trees = new TreeEnsembleRanker("synthetic-200x31", SyntheticEnsemble.Grow(rows));
                ModelSource = "synthetic";
            }

            registry.Swap(trees);
            ModelSource += string.Create(CultureInfo.InvariantCulture,
                $" ({trees.Data.Trees.Count} trees, {SyntheticEnsemble.MeanPathLength(trees.Data, rows):F1} splits per tree per candidate)");
        }

        _model = registry.Current;
        _tail = new RankingTail(
            _features, registry, new BusinessRules(Options.Create(rules)),
            Options.Create(new DiversityOptions { Mode = Diversity }),
            new RankedListCache(Options.Create(new PaginationOptions { MaxSnapshots = 1_000 }), TimeProvider.System));
    }

    /// <summary>Features alone (FeatureExtractor, owned by the ranker work), to attribute the cost.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public double Features()
    {
        double sum = 0;
        foreach (var (context, candidates, original, vectors) in _sets)
        {
            _features.Extract(context, candidates);
            sum += candidates[0].Features[0];
        }

        return sum;
    }

    /// <summary>The model alone, one candidate at a time (<see cref="IRankerModel.Score"/>) over the extracted features.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public double ScoreEach()
    {
        double sum = 0;
        foreach (var (_, candidates, _, _) in _sets)
        {
            foreach (var c in candidates)
            {
                sum += _model.Score(c.Features.Values);
            }
        }

        return sum;
    }

    /// <summary>The model alone, each query's candidates in one call (what <see cref="RankingTail"/> does).</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public double ModelScore()
    {
        double sum = 0;
        foreach (var (_, candidates, _, _) in _sets)
        {
            RankingTail.Score(_model, candidates);
            sum += candidates[0].Score;
        }

        return sum;
    }

    /// <summary>MMR alone (default lambda and depth) over each query's candidates in model order.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public int MmrOnly() => Mmr();

    /// <summary>Part of the first page: 20 pins to protos per query.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public double PageProtos()
    {
        double n = 0;
        foreach (var (_, _, original, _) in _sets)
        {
            for (var i = 0; i < 20; i++)
            {
                n += original[i].Pin.ToProto().Attributes.Count;
            }
        }

        return n;
    }

    /// <summary>Part of the first page: 20 explanations per query.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public double PageExplanations()
    {
        Span<double> contributions = stackalloc double[RankingFeature.Count];
        double n = 0;
        foreach (var (_, _, original, _) in _sets)
        {
            for (var i = 0; i < 20; i++)
            {
                _model.Explain(original[i].Features.Values, contributions);
                n += contributions[0];
            }
        }

        return n;
    }

    /// <summary>Benchmark methods as <see cref="Func{Double}"/> for <see cref="RerankCpu"/>.</summary>
    public double MmrOnlyValue() => MmrOnly();

    private int Mmr()
    {
        var defaults = new DiversityOptions();
        _sorted ??= _sets.Select(s =>
        {
            RankingTail.Score(_model, s.Candidates);
            var order = Enumerable.Range(0, s.Candidates.Count).OrderByDescending(i => s.Candidates[i].Score).ToArray();
            return (order.Select(i => s.Candidates[i]).ToArray(), order.Select(i => s.Vectors[i]).ToArray());
        }).ToList();
        var n = 0;
        foreach (var (sorted, vectors) in _sorted)
        {
            for (var i = 0; i < sorted.Length; i++)
            {
                sorted[i].Vector = vectors[i];
                sorted[i].ModelRank = i;
            }

            var list = sorted.ToList();
            Diversifier.Mmr(list, 0, list.Count, defaults.Lambda, defaults.MmrDepth);

            n += list[1].Pin.Id.Length;
        }

        return n;
    }

    /// <summary>The ordered list (what every page is cut from).</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public int Rank()
    {
        var n = 0;
        foreach (var (context, candidates, original, vectors) in _sets)
        {
            Reset(candidates, original, vectors);
            n += _tail.Rank(context, candidates, _model).Length;
        }

        return n;
    }

    /// <summary>What a first Search page costs in the tail: rank, keep the list, build 20 results with explanations.</summary>
    [Benchmark(OperationsPerInvoke = 8 * Candidates)]
    public int RankAndFirstPage()
    {
        var n = 0;
        foreach (var (context, candidates, original, vectors) in _sets)
        {
            Reset(candidates, original, vectors);
            n += _tail.Finish(context, candidates, 0, 20, "fingerprint").Results.Count;
        }

        return n;
    }

    /// <summary>Puts back what a previous ranking changed (vectors dropped, effects, pinned pins moved).</summary>
    private static void Reset(List<Candidate> candidates, Candidate[] original, float[][] vectors)
    {
        candidates.Clear();
        candidates.AddRange(original);
        for (var i = 0; i < original.Length; i++)
        {
            var c = original[i];
            c.Vector = vectors[i];
            c.Effects = TailEffects.None;
            c.BoostDelta = c.BuryDelta = c.OutOfStockDelta = 0;
        }
    }
}

/// <summary>The ranker a <see cref="RerankBenchmarks"/> run scores with.</summary>
public enum BenchRanker
{
    /// <summary>The label-free default (<see cref="LinearRanker"/>).</summary>
    Linear,

    /// <summary>200 trees of 31 leaves: trained (RECOMMENDER_BENCH_RANKER) or synthetic.</summary>
    Trees200,
}

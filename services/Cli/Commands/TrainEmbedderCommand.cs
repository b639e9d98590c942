using System.CommandLine;
using System.Numerics;
using Recommender.Embeddings.Model;
using Recommender.Embeddings.Training;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary><c>train-embedder --products F1[,F2] [--judgments J] --out DIR [--seed N] [--epochs N]</c></summary>
public static class TrainEmbedderCommand
{
    private static readonly TrainerOptions Trainer = new();
    private static readonly PairOptions Pairs = new();

    public static Command Create()
    {
        var products = new Option<string>("--products") { Description = "Product JSONL file(s), comma-separated (optionally .gz).", Required = true };
        var judgments = new Option<string?>("--judgments") { Description = "Judgments JSONL; only the train split is used." };
        var output = new Option<string>("--out") { Description = "Folder to write manifest.json and weights.bin to.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => Trainer.Seed };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the pairs.", DefaultValueFactory = _ => Trainer.Epochs };
        var dims = new Option<int>("--dims") { Description = "Vector width.", DefaultValueFactory = _ => Trainer.Dimensions };
        var buckets = new Option<int>("--buckets-log2") { Description = "log2 of the embedding table's rows.", DefaultValueFactory = _ => BitOperations.Log2((uint)Trainer.Features.Buckets) };
        var batch = new Option<int>("--batch") { Description = "Pairs per batch (in-batch negatives).", DefaultValueFactory = _ => Trainer.BatchSize };
        var lr = new Option<float>("--lr") { Description = "Adagrad learning rate.", DefaultValueFactory = _ => Trainer.LearningRate };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature.", DefaultValueFactory = _ => Trainer.Temperature };
        var positive = new Option<float>("--positive-label") { Description = "Judgments at or above this label are positives.", DefaultValueFactory = _ => Pairs.PositiveLabel };
        var repeats = new Option<int>("--judgment-repeats") { Description = "Times each judged pair appears per epoch.", DefaultValueFactory = _ => Pairs.JudgmentRepeats };
        var removeSpan = new Option<float>("--remove-span") { Description = "Chance a pseudo-query span is cut from its title.", DefaultValueFactory = _ => Pairs.RemoveSpan };
        var hardNegatives = new Option<int>("--hard-negatives") { Description = "Mine a hard negative among the top N lexical matches of each judged query (0: off).", DefaultValueFactory = _ => Pairs.HardNegativeDepth };
        var initNonZeros = new Option<int>("--init-nonzeros") { Description = "Non-zero +-1 entries per table row at the start.", DefaultValueFactory = _ => Trainer.InitNonZeros };
        var charMin = new Option<int>("--char-min") { Description = "Smallest character n-gram (0: none).", DefaultValueFactory = _ => Trainer.Features.CharMin };
        var charMax = new Option<int>("--char-max") { Description = "Largest character n-gram.", DefaultValueFactory = _ => Trainer.Features.CharMax };
        var charGram = new Option<float>("--char-gram-weight") { Description = "Weight of each character n-gram (0: share 1 per word).", DefaultValueFactory = _ => Trainer.Features.CharGramWeight };
        var spans = new Option<int>("--span-queries") { Description = "Pseudo-queries per product per epoch.", DefaultValueFactory = _ => Pairs.SpanQueries };

        var command = new Command("train-embedder", "Train the in-house embedder on catalog files (and optionally judgments).")
        {
            products, judgments, output, seed, epochs, dims, buckets, batch, lr, temperature, positive, repeats, removeSpan, spans, hardNegatives, initNonZeros, charMin, charMax, charGram,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var catalog = new List<CatalogProduct>();
            var sources = new List<TrainingSource>();
            foreach (var file in parse.GetValue(products)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var read = CatalogFiles.ReadProducts(file);
                catalog.AddRange(read);
                sources.Add(new TrainingSource(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) + "/" + Path.GetFileName(file), read.Count));
            }

            var judged = parse.GetValue(judgments) is { } j ? CatalogFiles.ReadJudgments(j) : [];
            var settings = new EmbedderSettings
            {
                Trainer = new TrainerOptions
                {
                    Dimensions = parse.GetValue(dims),
                    Features = new FeatureSpec
                    {
                        Buckets = 1 << parse.GetValue(buckets),
                        CharMin = parse.GetValue(charMin),
                        CharMax = parse.GetValue(charMax),
                        CharGramWeight = parse.GetValue(charGram),
                    },
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    Temperature = parse.GetValue(temperature),
                    Seed = parse.GetValue(seed),
                    InitNonZeros = parse.GetValue(initNonZeros),
                },
                Pairs = new PairOptions
                {
                    PositiveLabel = parse.GetValue(positive),
                    JudgmentRepeats = parse.GetValue(repeats),
                    RemoveSpan = parse.GetValue(removeSpan),
                    SpanQueries = parse.GetValue(spans),
                    HardNegativeDepth = parse.GetValue(hardNegatives),
                },
            };
            var (manifest, seconds) = Train(catalog, sources, judged, parse.GetValue(output)!, settings,
                r => AnsiConsole.MarkupLine($"  epoch {r.Epoch}: {r.Pairs:N0} pairs, loss {r.Loss:F4}, {r.Elapsed.TotalSeconds:F1} s"),
                message => AnsiConsole.MarkupLine(message),
                cancellationToken);
            var size = new FileInfo(Path.Combine(parse.GetValue(output)!, manifest.WeightsFile)).Length;
            AnsiConsole.MarkupLine($"Wrote [bold]{manifest.Version}[/] to {parse.GetValue(output)} ({size / 1024.0 / 1024.0:F1} MB) in {seconds:F1} s.");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Trains and saves an embedder: the code path of both <c>train-embedder</c> and <c>train</c>.</summary>
    public static (ModelManifest Manifest, double Seconds) Train(
        IReadOnlyList<CatalogProduct> catalog, List<TrainingSource> sources, IReadOnlyList<Judgment> judged, string outDir,
        EmbedderSettings settings, Action<EpochReport>? progress, Action<string> log, CancellationToken cancellationToken)
    {
        var trainerOptions = settings.Trainer;
        var sampler = new PairSampler(catalog, judged, settings.Pairs);
        log($"Training on [bold]{catalog.Count:N0}[/] products and [bold]{sampler.JudgmentPairs:N0}[/] judged pairs " +
            $"({trainerOptions.Dimensions} dims, 2^{BitOperations.Log2((uint)trainerOptions.Features.Buckets)} buckets, seed {trainerOptions.Seed}).");
        var table = new EmbedderTrainer(trainerOptions).Train(
            sampler,
            progress,
            cancellationToken,
            out var stats);
        var manifest = ModelArtifact.Save(outDir, table, trainerOptions.Dimensions, trainerOptions.Features, new TrainingSummary
        {
            Seed = trainerOptions.Seed,
            Epochs = trainerOptions.Epochs,
            BatchSize = trainerOptions.BatchSize,
            LearningRate = trainerOptions.LearningRate,
            Temperature = trainerOptions.Temperature,
            Sources = sources,
            JudgmentPairs = sampler.JudgmentPairs,
            PairsSeen = stats.PairsSeen,
            Seconds = Math.Round(stats.Seconds, 1),
            FinalLoss = Math.Round(stats.FinalLoss, 4),
        });
        return (manifest, stats.Seconds);
    }
}

/// <summary>The embedder's training settings: the trainer's and the pair sampler's own option records, whose defaults
/// are <c>train-embedder</c>'s option defaults.</summary>
public sealed record EmbedderSettings
{
    public TrainerOptions Trainer { get; init; } = new();

    public PairOptions Pairs { get; init; } = new();
}

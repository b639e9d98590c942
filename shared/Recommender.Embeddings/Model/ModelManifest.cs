namespace Recommender.Embeddings.Model;

/// <summary>
/// manifest.json of an embedder artifact. <see cref="Version"/> is derived from a hash of the weights, so it changes
/// whenever the weights do; it is stamped on every vector the model makes.
/// </summary>
public sealed record ModelManifest
{
    public const string CurrentFormat = "recommender-embedder/1";

    public string Format { get; init; } = CurrentFormat;

    public required string Version { get; init; }

    public required int Dimensions { get; init; }

    public required FeatureSpec Features { get; init; }

    /// <summary>"int8-row": one float32 scale per row, then the rows as signed bytes.</summary>
    public string Quantization { get; init; } = "int8-row";

    public string WeightsFile { get; init; } = "weights.bin";

    public required string WeightsSha256 { get; init; }

    public required TrainingSummary Training { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What a model was trained on and how: enough to reproduce it.</summary>
public sealed record TrainingSummary
{
    public required long Seed { get; init; }

    public required int Epochs { get; init; }

    public required int BatchSize { get; init; }

    public required float LearningRate { get; init; }

    public required float Temperature { get; init; }

    public IReadOnlyList<TrainingSource> Sources { get; init; } = [];

    /// <summary>Judgment pairs used (train split only), 0 when none.</summary>
    public int JudgmentPairs { get; init; }

    public long PairsSeen { get; init; }

    public double Seconds { get; init; }

    public double FinalLoss { get; init; }
}

public sealed record TrainingSource(string Name, int Products);

using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Recommender.Embeddings.Model;

namespace Recommender.Embeddings;

/// <summary>Loads the in-house model named by the options, or falls back to the hashing embedder and says so.</summary>
public static partial class LocalEmbedderLoader
{
    public static ITextEmbedder Load(EmbeddingOptions options, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            LogHashing(logger, options.Dimensions, "Embeddings:ModelPath is empty");
            return new HashingEmbedder(options.Dimensions);
        }

        var path = Path.IsPathRooted(options.ModelPath) ? options.ModelPath : Path.Combine(AppContext.BaseDirectory, options.ModelPath);
        if (!File.Exists(Path.Combine(path, ModelArtifact.ManifestFile)))
        {
            LogHashing(logger, options.Dimensions, $"no embedder artifact at {path}");
            return new HashingEmbedder(options.Dimensions);
        }

        var started = Stopwatch.GetTimestamp();
        var model = ModelArtifact.Load(path);
        LogLoaded(logger, model.Version, model.Dimensions, path, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return model;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Embedder {Version} ({Dimensions} dims) loaded from {Path} in {Ms:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string version, int dimensions, string path, double ms);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Using the training-free hashing embedder ({Dimensions} dims): {Reason}. Train one with 'recommender train-embedder'.")]
    private static partial void LogHashing(ILogger logger, int dimensions, string reason);
}

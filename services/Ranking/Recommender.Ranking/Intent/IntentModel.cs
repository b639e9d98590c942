using System.Diagnostics;
using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>One tenant's learned parser and what it was learned from.</summary>
public sealed record IntentModel(
    EmbeddedIntentParser Parser,
    long PinCount,
    DateTimeOffset BuiltAt,
    TimeSpan BuildTime)
{
    /// <summary>Learns vocabulary and category classifier from the pins (CPU-bound: call off the request path).</summary>
    public static IntentModel Build(IReadOnlyList<PinData> pins, double categoryThreshold, int maxClassifierRows = 30_000, int seed = 1)
    {
        var started = Stopwatch.GetTimestamp();
        var vocabulary = CatalogVocabulary.Build(pins);
        var rows = CategoryClassifier.TrainingRows(pins);
        if (rows.Count > maxClassifierRows)
        {
            var random = new Random(seed);
            rows = rows.OrderBy(_ => random.Next()).Take(maxClassifierRows).ToList();
        }

        var classifier = CategoryClassifier.Train(rows, seed: seed);
        classifier?.Warm(Environment.ProcessorCount);
        var parser = new EmbeddedIntentParser(vocabulary, classifier, categoryThreshold);
        parser.Parse("warm up under $10 not x");
        return new IntentModel(
            parser,
            pins.Count,
            DateTimeOffset.UtcNow,
            Stopwatch.GetElapsedTime(started));
    }
}

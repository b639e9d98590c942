using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Maps query text to one of the catalog's categories: an ML.NET maximum-entropy (SDCA) classifier over word and
/// character n-grams, trained from pin titles labelled with the pin's deepest category. Queries are scored directly
/// from the fitted model's features and weights (<see cref="NgramSoftmaxScorer"/>) where that gives ML.NET's answer
/// (printable ASCII text), else by an ML.NET prediction engine. Thread-safe: prediction engines are pooled, never
/// shared between threads.
/// </summary>
public sealed class CategoryClassifier
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly string[] _labels;
    private readonly NgramSoftmaxScorer? _direct;
    private readonly ConcurrentBag<PredictionEngine<Input, Output>> _engines = [];

    private CategoryClassifier(MLContext ml, ITransformer model, string[] labels, int trainedOn, NgramSoftmaxScorer? direct)
    {
        _ml = ml;
        _model = model;
        _labels = labels;
        TrainedOn = trainedOn;
        _direct = direct;
    }

    /// <summary>Whether queries are scored directly (see <see cref="NgramSoftmaxScorer"/>); false when the fitted
    /// model's features could not be read that way (then every query goes through ML.NET).</summary>
    public bool ScoresDirectly => _direct is not null;

    /// <summary>The categories it can predict.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Number of labelled titles it was trained from.</summary>
    public int TrainedOn { get; }

    /// <summary>The training rows a catalog yields: (title, deepest category) for pins that have a category.</summary>
    public static List<(string Text, string Label)> TrainingRows(IEnumerable<PinData> pins)
    {
        var rows = new List<(string, string)>();
        foreach (var pin in pins)
        {
            var label = Leaf(pin.CategoryPath);
            if (label is not null && !string.IsNullOrWhiteSpace(pin.Title))
            {
                rows.Add((pin.Title, label));
            }
        }

        return rows;
    }

    /// <summary>The deepest category level that names something (not a bare number).</summary>
    public static string? Leaf(IReadOnlyList<string> categoryPath)
    {
        for (var i = categoryPath.Count - 1; i >= 0; i--)
        {
            var name = categoryPath[i].Trim();
            if (name.Length > 1 && name.Any(char.IsLetter))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// Trains on the rows, keeping categories with at least <paramref name="minPerLabel"/> examples. Null when fewer
    /// than two categories qualify (nothing to tell apart).
    /// </summary>
    public static CategoryClassifier? Train(IReadOnlyList<(string Text, string Label)> rows, int minPerLabel = 3, int seed = 1)
    {
        var kept = rows.GroupBy(r => r.Label, StringComparer.Ordinal).Where(g => g.Count() >= minPerLabel).ToList();
        if (kept.Count < 2)
        {
            return null;
        }

        var ml = new MLContext(seed);
        var data = ml.Data.LoadFromEnumerable(kept.SelectMany(g => g).Select(r => new Input { Text = r.Text, Label = r.Label }));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(Input.Label))
            .Append(ml.Transforms.Text.FeaturizeText("Features", nameof(Input.Text)))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features", maximumNumberOfIterations: 30));
        var model = pipeline.Fit(data);

        VBuffer<ReadOnlyMemory<char>> keys = default;
        var schema = model.GetOutputSchema(data.Schema);
        schema["LabelKey"].GetKeyValues(ref keys);
        var labels = keys.DenseValues().Select(k => k.ToString()).ToArray();
        var direct = DirectScorer(model, schema, kept.SelectMany(g => g).Select(r => r.Text));
        return new CategoryClassifier(ml, model, labels, kept.Sum(g => g.Count()), direct);
    }

    /// <summary>The direct scorer from the features' slot names and the maximum-entropy layer's weights and biases.</summary>
    private static NgramSoftmaxScorer? DirectScorer(TransformerChain<MulticlassPredictionTransformer<MaximumEntropyModelParameters>> model,
        DataViewSchema schema, IEnumerable<string> trainingTexts)
    {
        var features = schema["Features"];
        if (!features.HasSlotNames())
        {
            return null;
        }

        VBuffer<ReadOnlyMemory<char>> names = default;
        features.GetSlotNames(ref names);
        VBuffer<float>[] weights = [];
        model.LastTransformer.Model.GetWeights(ref weights, out var classes);
        var biases = model.LastTransformer.Model.GetBiases().ToArray();
        var slotNames = names.DenseValues().Select(n => n.ToString()).ToArray();
        return NgramSoftmaxScorer.Create(slotNames, weights[..classes], biases, trainingTexts);
    }

    /// <summary>
    /// Creates <paramref name="engines"/> prediction engines up front and runs each once: creating an engine costs far
    /// more than a prediction, and that cost belongs in the background build, not in a shopper's first search.
    /// </summary>
    public void Warm(int engines)
    {
        var created = new List<PredictionEngine<Input, Output>>();
        while (_engines.TryTake(out var existing))
        {
            created.Add(existing);
        }

        while (created.Count < engines)
        {
            created.Add(_ml.Model.CreatePredictionEngine<Input, Output>(_model));
        }

        foreach (var engine in created)
        {
            var output = new Output();
            engine.Predict(new Input { Text = "warm up", Label = "" }, ref output);
            _engines.Add(engine);
        }
    }

    /// <summary>The most likely category and its probability.</summary>
    public (string Label, double Confidence) Predict(string text)
    {
        if (_direct is not null && _direct.TryPredict(text, out var best, out var probability))
        {
            return best < _labels.Length ? (_labels[best], probability) : ("", 0);
        }

        return PredictWithEngine(text);
    }

    /// <summary>ML.NET's own prediction: what <see cref="Predict"/> falls back to, and the reference it is tested against.</summary>
    public (string Label, double Confidence) PredictWithEngine(string text)
    {
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<Input, Output>(_model);
        }

        try
        {
            var output = new Output();
            engine.Predict(new Input { Text = text, Label = "" }, ref output);
            var scores = output.Score ?? [];
            var best = 0;
            for (var i = 1; i < scores.Length; i++)
            {
                if (scores[i] > scores[best])
                {
                    best = i;
                }
            }

            return scores.Length == 0 || best >= _labels.Length ? ("", 0) : (_labels[best], scores[best]);
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    /// <summary>Share of rows whose label is predicted with at least the threshold (and correctly).</summary>
    public (double Accuracy, double Coverage) Evaluate(IReadOnlyList<(string Text, string Label)> rows, double threshold)
    {
        if (rows.Count == 0)
        {
            return (0, 0);
        }

        var covered = 0;
        var correct = 0;
        foreach (var (text, label) in rows)
        {
            var (predicted, confidence) = Predict(text);
            if (confidence >= threshold)
            {
                covered++;
                if (predicted == label)
                {
                    correct++;
                }
            }
        }

        return (covered == 0 ? 0 : correct / (double)covered, covered / (double)rows.Count);
    }

    private sealed class Input
    {
        public string Text { get; set; } = "";

        public string Label { get; set; } = "";
    }

    private sealed class Output
    {
        public float[]? Score { get; set; }
    }
}

using System.Text.Json;
using Recommender.Contracts;

namespace Recommender.Ranking.Intent;

/// <summary>
/// Builds a chat-format JSONL training set for fine-tuning an open model (LoRA) as the remote intent parser: one line
/// per synthesised query, <c>{"messages":[system, user query, assistant intent JSON]}</c>, with the same system prompt
/// the service sends (<see cref="IntentPrompt.System"/>) and the expected intent from the pin the query was made
/// from (<see cref="QuerySynthesizer"/>).
/// </summary>
public static class FineTuneSetBuilder
{
    /// <summary>Writes <paramref name="count"/> examples; returns how many were written.</summary>
    public static int Write(IReadOnlyList<PinData> pins, TextWriter output, int count, int seed)
    {
        var vocabulary = CatalogVocabulary.Build(pins);
        var synthesizer = new QuerySynthesizer(pins, vocabulary, seed);
        var written = 0;
        foreach (var example in synthesizer.Mixed(count))
        {
            output.WriteLine(ToLine(example));
            written++;
        }

        return written;
    }

    public static string ToLine(SynthesizedQuery example)
    {
        var line = new
        {
            messages = new object[]
            {
                new { role = "system", content = IntentPrompt.System },
                new { role = "user", content = example.Query },
                new { role = "assistant", content = IntentJson.From(example.Expected).ToJson() },
            },
        };
        return JsonSerializer.Serialize(line, IntentJson.SerializerOptions);
    }
}

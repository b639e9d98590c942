using System.Diagnostics;

namespace Recommender.Ranking.Intent;

/// <summary>The intent of a search: the tenant's embedded parse, refined by the open model when one is configured.</summary>
public sealed class IntentService(IntentModelRegistry registry, RemoteIntentParser? remote = null)
{
    public async ValueTask<IntentResult> ParseAsync(string tenant, string query, CancellationToken cancellationToken)
    {
        var parser = registry.ParserFor(tenant);
        var started = Stopwatch.GetTimestamp();
        var intent = parser.Parse(query);
        var embeddedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (remote is not null)
        {
            intent = await remote.ParseAsync(intent, parser.Vocabulary, cancellationToken);
        }

        return new IntentResult(intent, parser.Vocabulary, embeddedMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>A parsed intent, the vocabulary it was parsed with (for brand spellings in filters) and how long it took.</summary>
public sealed record IntentResult(ShoppingIntent Intent, CatalogVocabulary Vocabulary, double EmbeddedMs, double TotalMs);

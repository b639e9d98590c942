using System.Text.Json;
using System.Text.Json.Serialization;
using Recommender.Contracts;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// One line of the engagement log (JSON, snake_case). <c>type</c> is "engagement" (a counted PinEngaged with the
/// pin's brand, category and price as they were when it was counted, so a replay needs no vector service) or
/// "search" (a search's query id and text, so implicit labels can join engagement to the query).
/// </summary>
public sealed record EngagementRecord
{
    public const string EngagementType = "engagement";
    public const string SearchType = "search";

    public required string Type { get; init; }

    public required string Tenant { get; init; }

    public string? UserId { get; init; }

    public string? SessionId { get; init; }

    public string? PinId { get; init; }

    /// <summary>impression | click | save | add_to_cart | purchase.</summary>
    public string? Kind { get; init; }

    public string? QueryId { get; init; }

    /// <summary>The search text (search records).</summary>
    public string? Query { get; init; }

    public int? Position { get; init; }

    /// <summary>When it happened (the event's timestamp, never later than <see cref="LoggedAt"/>).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>When this replica counted it (the dedupe window runs from here).</summary>
    public DateTimeOffset LoggedAt { get; init; }

    public string? IdempotencyKey { get; init; }

    public string? Brand { get; init; }

    public IReadOnlyList<string>? Category { get; init; }

    public double? Price { get; init; }

    public static string KindName(EngagementType kind) => kind switch
    {
        Contracts.EngagementType.Impression => "impression",
        Contracts.EngagementType.Click => "click",
        Contracts.EngagementType.Save => "save",
        Contracts.EngagementType.AddToCart => "add_to_cart",
        Contracts.EngagementType.Purchase => "purchase",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown engagement kind."),
    };

    public static EngagementType? ParseKind(string? kind) => kind switch
    {
        "impression" => Contracts.EngagementType.Impression,
        "click" => Contracts.EngagementType.Click,
        "save" => Contracts.EngagementType.Save,
        "add_to_cart" => Contracts.EngagementType.AddToCart,
        "purchase" => Contracts.EngagementType.Purchase,
        _ => null,
    };

    public string ToJson() => JsonSerializer.Serialize(this, EngagementRecordJson.Default.EngagementRecord);

    /// <summary>The record on a line, or null when the line is not one (a torn last line after a crash).</summary>
    public static EngagementRecord? TryParse(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize(line, EngagementRecordJson.Default.EngagementRecord);
            return record is { Tenant.Length: > 0 } ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EngagementRecord))]
internal sealed partial class EngagementRecordJson : JsonSerializerContext;

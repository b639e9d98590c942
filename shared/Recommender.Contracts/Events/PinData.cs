namespace Recommender.Contracts;

/// <summary>A pin as it travels on the bus and is stored: the catalog fields, tenant and version.</summary>
public sealed record PinData
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required string Title { get; init; }
    public string Description { get; init; } = "";
    public string Brand { get; init; } = "";
    public IReadOnlyList<string> CategoryPath { get; init; } = [];
    public double? Price { get; init; }
    public string Currency { get; init; } = "USD";
    public string Colour { get; init; } = "";
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public string ImageUrl { get; init; } = "";
    public string Link { get; init; } = "";
    public bool InStock { get; init; } = true;
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public long Version { get; init; }
}

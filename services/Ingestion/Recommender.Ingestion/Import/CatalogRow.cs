using Recommender.Contracts.Catalog.V1;

namespace Recommender.Ingestion.Import;

/// <summary>One line of a catalog file: the pin, or why the line was rejected.</summary>
public sealed record CatalogRow(int Line, Pin? Pin, string? Error);

namespace Recommender.Contracts;

/// <summary>
/// A batch of validated pins with their vectors, published by ingestion and consumed by the vector service.
/// One message carries many pins: the bus is much faster per message than per pin.
/// </summary>
public sealed record PinsEmbedded(Guid BatchId, DateTimeOffset At, IReadOnlyList<EmbeddedPin> Pins);

/// <summary>
/// One pin with its dense vector (little-endian float32, L2-normalised, as bytes so the JSON stays compact)
/// and its sparse lexical vector (term ids and weights; the store applies IDF).
/// </summary>
public sealed record EmbeddedPin(
    PinData Pin,
    byte[] Dense,
    int[] SparseIndices,
    float[] SparseValues,
    string EmbedderVersion);

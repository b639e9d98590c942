using Recommender.Contracts.Catalog.V1;

namespace Recommender.Contracts;

/// <summary>
/// In-process only, never on the wire: one stored pin version as the embedded vector store shares it with callers in
/// its own process (services/Embedded, through the in-process call invoker). The store makes one per version it
/// stores and drops it with that version, so the state kept here lives exactly as long as the version does: the pin's
/// wire message (built once, shared by every response that shows it) and one reader's own per-version state (Ranking
/// keeps its ranking form of the pin here). Reaching either is a field read, not a lookup by instance or id.
/// </summary>
/// <remarks>Read-only for callers: the pin and the message belong to the store and are shared between threads.</remarks>
public sealed class SharedPin(PinData pin)
{
    private Pin? _message;
    private object? _attached;

    public PinData Pin { get; } = pin;

    /// <summary>The pin's wire message, built on first use; every later caller gets the same instance.</summary>
    public Pin Message => _message ?? LazyInitializer.EnsureInitialized(ref _message, () => Pin.ToProto());

    /// <summary>Whether <see cref="Message"/> was built already.</summary>
    public bool HasMessage => Volatile.Read(ref _message) is not null;

    /// <summary>The reader state attached to this version, made by <paramref name="create"/> on first use; concurrent
    /// first uses agree on one instance. One reader type per process: a second type is made afresh on every call
    /// (correct, only not kept).</summary>
    public T Attached<T>(Func<PinData, T> create)
        where T : class
    {
        if (Volatile.Read(ref _attached) is T known)
        {
            return known;
        }

        var made = create(Pin);
        return Interlocked.CompareExchange(ref _attached, made, null) switch
        {
            null => made,
            T first => first,
            _ => made,
        };
    }
}

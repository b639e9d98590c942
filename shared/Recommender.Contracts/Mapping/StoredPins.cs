namespace Recommender.Contracts.Vector.V1;

// In-process only, never on the wire: the stored pin version a hit or point was made from (SharedPin). The Vector
// service sets it when its store shares its own pin versions (the embedded store); a caller in the same process
// (services/Embedded, through the in-process call invoker) can then take the pin as it is and keep its per-version
// state on it, instead of converting the message back and looking the pin up by id or instance. Anything that came
// over the network has it null. Read-only: it belongs to the store. Not copied by Clone, not compared by Equals.

/// <summary>A search or recommend hit; see <see cref="StoredPin"/>.</summary>
public sealed partial class ScoredPin
{
    /// <summary>The store's own pin version this hit was made from, when the caller runs in the Vector service's process
    /// and the store shares its pins; null otherwise (always over the network). Read-only.</summary>
    public SharedPin? StoredPin { get; set; }
}

/// <summary>A stored point; see <see cref="StoredPin"/>.</summary>
public sealed partial class VectorPoint
{
    /// <summary>As <see cref="ScoredPin.StoredPin"/>.</summary>
    public SharedPin? StoredPin { get; set; }
}

namespace Recommender.Contracts.Vector.V1;

// In-process only, never on the wire: the stored pin a hit or point was made from. The Vector service sets it when its
// store shares its own pin instances (the embedded store); a caller in the same process (services/Embedded, through the
// in-process call invoker) can then take the pin as it is and key per-version caches by the instance, instead of
// converting the message back and hashing its id. Anything that came over the network has it null. Read-only: the
// instance belongs to the store. Not copied by Clone, not compared by Equals.

/// <summary>A search or recommend hit; see <see cref="StoredPin"/>.</summary>
public sealed partial class ScoredPin
{
    /// <summary>The store's own pin instance this hit was made from, when the caller runs in the Vector service's process
    /// and the store shares its pins; null otherwise (always over the network). Read-only.</summary>
    public PinData? StoredPin { get; set; }
}

/// <summary>A stored point; see <see cref="StoredPin"/>.</summary>
public sealed partial class VectorPoint
{
    /// <summary>As <see cref="ScoredPin.StoredPin"/>.</summary>
    public PinData? StoredPin { get; set; }
}

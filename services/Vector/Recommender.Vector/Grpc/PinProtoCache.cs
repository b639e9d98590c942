using System.Runtime.CompilerServices;
using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;

namespace Recommender.Vector.Grpc;

/// <summary>
/// The wire <see cref="Pin"/> of each stored <see cref="PinData"/> instance, built on first use and kept as long as
/// the store keeps that instance (an upsert makes a new one). Only for a store whose hits share its own pin instances
/// (<see cref="Storage.IVectorStore.SharesStoredPins"/>): a search then maps 200 hits without building 200 messages.
/// One per process (a singleton): grpc-dotnet creates <see cref="VectorGrpcService"/> for every call, and a cache per
/// call would build every message again.
/// </summary>
/// <remarks>Responses share these messages: over the wire they are only serialized; an in-process caller
/// (<see cref="InProcess.InProcessCallInvoker"/>) must treat responses as read-only, as it already must.</remarks>
public sealed class PinProtoCache
{
    private readonly ConditionalWeakTable<PinData, Pin> _protos = [];
    private readonly ConditionalWeakTable<PinData, Pin>.CreateValueCallback _create;
    private long _made;

    public PinProtoCache() => _create = pin =>
    {
        Interlocked.Increment(ref _made);
        return pin.ToProto();
    };

    /// <summary>Messages built so far (one per stored pin instance that a response carried).</summary>
    public long Made => Interlocked.Read(ref _made);

    public Pin For(PinData pin) => _protos.GetValue(pin, _create);
}

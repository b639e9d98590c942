using System.Runtime.CompilerServices;
using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;

namespace Recommender.Vector.Grpc;

/// <summary>
/// The wire <see cref="Pin"/> of each stored <see cref="PinData"/> instance, built on first use and kept as long as
/// the store keeps that instance (an upsert makes a new one). Only for a store whose hits share its own pin instances
/// (<see cref="Storage.IVectorStore.SharesStoredPins"/>): a search then maps 200 hits without building 200 messages.
/// </summary>
/// <remarks>Responses share these messages: over the wire they are only serialized; an in-process caller
/// (<see cref="InProcess.InProcessCallInvoker"/>) must treat responses as read-only, as it already must.</remarks>
public sealed class PinProtoCache
{
    private readonly ConditionalWeakTable<PinData, Pin> _protos = [];

    public Pin For(PinData pin) => _protos.GetValue(pin, static p => p.ToProto());
}

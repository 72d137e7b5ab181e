namespace ActorNet.Protocol;

/// <summary>Marker of every ActorNet message: the wire serializer is bound to this interface.</summary>
public interface IActorNetMessage;

/// <summary>A message sent as one instance to several nodes (a shard's new parameters, to every
/// replica) that holds no actor reference: it encodes to the same bytes for every recipient, so
/// the serializer encodes it once (see <see cref="Serialization.ActorNetSerializer"/>).</summary>
public interface IBroadcastMessage : IActorNetMessage;

namespace ActorNet.Protocol;

/// <summary>Marker of every ActorNet message: the wire serializer is bound to this interface.</summary>
public interface IActorNetMessage;

/// <summary>A message sent as one instance to several nodes (a shard's new parameters, to every
/// replica) that holds no actor reference: it encodes to the same bytes for every recipient, so
/// the serializer encodes it once (see <see cref="Serialization.ActorNetSerializer"/>).</summary>
public interface IBroadcastMessage : IActorNetMessage;

/// <summary>A message that carries arrays of <see cref="Training.BufferPool{T}"/> whose ownership
/// passes with it. Sent within a process, the receiver owns them; sent to another node, the
/// receiver gets its own copies, and the serializer calls <see cref="ArraysWritten"/> once it has
/// written the message, so that the sender's arrays go back to the pool.</summary>
public interface IHandsOverArrays : IActorNetMessage
{
    void ArraysWritten();
}

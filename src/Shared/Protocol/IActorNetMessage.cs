namespace ActorNet.Protocol;

/// <summary>Marker of every ActorNet message: the wire serializer is bound to this interface.</summary>
public interface IActorNetMessage;

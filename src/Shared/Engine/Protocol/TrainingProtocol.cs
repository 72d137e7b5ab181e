namespace ActorNet.Protocol;

// The conversation of one training step between the run (which owns the schedule), the
// parameter shards (one per layer, which own the authoritative parameters) and the model
// replicas (which compute gradients). Every message carries the run id and the step, so a
// stale or duplicate one can be recognised and dropped.

/// <summary>Run → replica: compute the gradients of these training samples for step
/// <paramref name="Step"/>. <paramref name="Part"/> is this replica's slot among the
/// <paramref name="Parts"/> that share the step (shards add parts in slot order).</summary>
public sealed record ComputeGradients(Guid RunId, long Step, int Attempt, int Part, int Parts, int[] Indices) : IActorNetMessage;

/// <summary>Layer actor → its parameter shard: the gradient of this layer summed over one
/// part's samples (not divided), laid out like the parameters ([W | b]). The array is handed
/// over with the message: the sender never touches it again, the shard returns it to
/// <see cref="Training.BufferPool{T}"/> once applied (and the serializer, once it has put it on the wire).</summary>
public sealed record LayerGradientsComputed<T>(Guid RunId, long Step, int Attempt, int Layer, int Part, int Parts, int Rows, T[] Gradients)
    : IHandsOverArrays where T : unmanaged
{
    public void ArraysWritten() => Training.BufferPool<T>.Return(Gradients);
}

/// <summary>Replica → run: one part's loss summed over its samples, and how many it got right.</summary>
public sealed record PartLossComputed(Guid RunId, long Step, int Attempt, int Part, int Rows, double LossSum, int Correct) : IActorNetMessage;

/// <summary>Shard → replica (which hands it to its layer actor): the layer's parameters after
/// <paramref name="Version"/> updates; the forward pass of step t uses version t. Sent to every
/// replica: the array is the shard's, which a replica reads until the next version comes (see
/// <see cref="Training.ParameterShard{T}"/>).</summary>
public sealed record ParametersUpdated<T>(Guid RunId, long Version, int Layer, T[] Parameters) : IBroadcastMessage
{
    /// <summary>True when the array is the receiver's alone (read from the wire, into an array of
    /// <see cref="Training.BufferPool{T}"/>): the layer returns it when the next version replaces it.
    /// Not part of the wire format.</summary>
    public bool OwnedByReceiver { get; init; }
}

/// <summary>Shard → run: step applied to this layer. Carries the new parameters (a local
/// reference, for metrics and the final model) and, in a traced run only, the averaged gradient
/// (else empty).</summary>
public sealed record ShardStepApplied<T>(Guid RunId, long Step, int Layer, T[] Parameters, T[] AverageGradient) : IActorNetMessage;

/// <summary>Shard → run: the update produced a value that is not finite.</summary>
public sealed record ShardStepFailed(Guid RunId, long Step, int Layer, string Reason) : IActorNetMessage;

/// <summary>Run → shard: the replicas that receive each layer's new parameters from now on.</summary>
public sealed record UseReplicas(Guid RunId, IReadOnlyList<Akka.Actor.IActorRef> Replicas) : IActorNetMessage;

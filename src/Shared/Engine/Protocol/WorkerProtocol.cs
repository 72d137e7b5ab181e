namespace ActorNet.Protocol;

// A run and the workers that host its model replicas. The run sends the spec as JSON text
// (each worker reads it and loads the data itself: only indices travel later), the
// fingerprint of the training data it expects, and the parameters to start from.

/// <summary>Run → worker: build a replica of this run's model.</summary>
/// <param name="BaseDirectory">folder that relative data paths in the spec are taken from (the spec file's)</param>
/// <param name="TrainRows">rows the run's training set has</param>
/// <param name="DataSha256">SHA-256 of the training set as the run loaded it (DataFingerprint.OfDataSet)</param>
/// <param name="Version">updates the parameters have had; the replica's first step is this one</param>
/// <param name="Parameters">per layer, [W | b]</param>
/// <param name="Shards">the run's parameter shard of each layer</param>
public sealed record StartReplica<T>(Guid RunId, string SpecJson, string? BaseDirectory, int TrainRows, string DataSha256,
    long Version, T[][] Parameters, IReadOnlyList<Akka.Actor.IActorRef> Shards) : IActorNetMessage;

/// <summary>Worker → run: the replica is ready.</summary>
public sealed record ReplicaStarted(Guid RunId, Akka.Actor.IActorRef Replica, string Worker) : IActorNetMessage;

/// <summary>Worker → run: no replica here, and why (e.g. the worker's copy of the data differs).</summary>
public sealed record ReplicaRefused(Guid RunId, string Worker, string Reason) : IActorNetMessage;


/// <summary>Membership → run: a worker that may host a replica of this run.</summary>
public sealed record AddWorker(Akka.Actor.IActorRef Worker) : IActorNetMessage;

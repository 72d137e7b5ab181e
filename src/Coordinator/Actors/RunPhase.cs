namespace ActorNet.Actors;

/// <summary>Where a run is in its life (<see cref="TrainingRunActor{T}"/>'s states).</summary>
public enum RunPhase { Recovering, AwaitingReplicas, Stepping, Checkpointing, Dispatching, Ending }

/// <summary>Ask a run actor which <see cref="RunPhase"/> it is in (in-process: tests, the API).</summary>
public sealed record RunPhaseQuery;

public sealed record RunPhaseReported(Guid RunId, RunPhase Phase);

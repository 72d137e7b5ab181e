namespace ActorNet.Protocol;

// What a run tells whoever watches it (the console, the HTTP API, tests), and what they may
// ask of it. Parameters leave as double so that watchers need not know the run's precision.

/// <summary>A training step was applied by every shard.</summary>
/// <param name="Loss">mean loss per sample of the step's batch, before the update</param>
/// <param name="Replicas">model replicas that shared the step</param>
public sealed record StepCompleted(Guid RunId, long Step, int Epoch, int StepInEpoch, int StepsPerEpoch, int Rows, double Loss, int Correct, int Replicas) : IActorNetMessage;

/// <summary>Sent after every step when the run was started with tracing on (the worked
/// example prints the gradients and the updated weights).</summary>
public sealed record StepTraced(Guid RunId, long Step, double[][] AverageGradients, double[][] Parameters) : IActorNetMessage;

/// <param name="Epoch">1-based</param>
/// <param name="TrainLoss">mean loss per sample over the epoch's steps (each before its update)</param>
/// <param name="TestLoss">mean loss per sample on the test set after the epoch</param>
public sealed record EpochCompleted(Guid RunId, int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double SamplesPerSecond) : IActorNetMessage;

public enum RunOutcome { Completed, Cancelled }

/// <param name="Parameters">per layer, [W (out, in) row-major | b (out)]</param>
public sealed record RunCompleted(Guid RunId, RunOutcome Outcome, long Steps, IReadOnlyList<EpochCompleted> Epochs, double[][] Parameters) : IActorNetMessage;

public sealed record RunFailed(Guid RunId, long Step, string Reason) : IActorNetMessage;

/// <summary>Ask a run to stop after the step in progress; it answers with RunCompleted (Cancelled).</summary>
public sealed record StopRun(Guid RunId) : IActorNetMessage;

/// <summary>A worker takes no part in the run, and why (its data differ, it cannot read them).</summary>
public sealed record WorkerLeftOut(Guid RunId, string Worker, string Reason) : IActorNetMessage;

/// <summary>A checkpoint is stored. <paramref name="PauseMilliseconds"/>: how long training
/// stood still for it (collecting the shards' state and journaling it); <paramref name="SaveMilliseconds"/>:
/// from then until the snapshot store confirmed it (training goes on meanwhile).</summary>
public sealed record CheckpointSaved(Guid RunId, long Step, double PauseMilliseconds, double SaveMilliseconds) : IActorNetMessage;

/// <summary>A run was recovered from its journal and continues from the checkpoint after
/// <paramref name="Step"/> steps (0: it had none and starts over). <paramref name="RecoveryMilliseconds"/>:
/// from the run actor's start until its checkpoint and journal were read back.</summary>
public sealed record RunResumed(Guid RunId, long Step, double RecoveryMilliseconds) : IActorNetMessage;

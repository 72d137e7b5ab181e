namespace ActorNet.Protocol;

// What a run keeps in its journal (Akka.Persistence, persistence id "run-{RunId}") and in its
// checkpoints (snapshots), and how the run collects a checkpoint from its parameter shards.
// These are stored data, written with versioned schemas by ActorNet.Storage's StoredSerializer
// (docs/stored-formats.md), which is bound to each of these types; a change to a record needs a
// change to its schema there.
// Times are Unix milliseconds, UTC. A missing metric is NaN.

/// <summary>The first event of a run's journal: everything needed to rebuild the run, and to
/// read its checkpoints without the data (the CLI exports a model from these alone).</summary>
/// <param name="Inputs">features per sample (the first layer's inputs)</param>
/// <param name="ClassNames">names of the output classes, when the data have them (else empty)</param>
/// <param name="ScaleOffsets">input scaling fitted on the training set: x' = (x − offset) / divisor (0 when the divisor is 0); empty when none</param>
public sealed record RunStarted(Guid RunId, string SpecJson, string? BaseDirectory, int MinWorkers, int Inputs,
    IReadOnlyList<string> ClassNames, double[] ScaleOffsets, double[] ScaleDivisors, long AtUnixMs) : IActorNetMessage;

/// <summary>A worker's replica took part from step <paramref name="Step"/> on.</summary>
public sealed record WorkerJoined(Guid RunId, string Worker, long Step, long AtUnixMs) : IActorNetMessage;

/// <summary>A worker's replica was lost at step <paramref name="Step"/>.</summary>
public sealed record WorkerLeft(Guid RunId, string Worker, long Step, string Reason, long AtUnixMs) : IActorNetMessage;

/// <summary>A checkpoint of the run after <paramref name="Step"/> steps was taken; the snapshot
/// with the same sequence number holds it (unless saving it failed, or retention deleted it).</summary>
/// <param name="Epoch">epochs completed</param>
/// <param name="TrainLoss">mean training loss of the last completed epoch (NaN before the first)</param>
/// <param name="TestAccuracy">test accuracy after the last completed epoch (NaN before the first)</param>
public sealed record CheckpointTaken(Guid RunId, long Step, int Epoch, long AtUnixMs, double TrainLoss, double TestLoss, double TestAccuracy)
    : IActorNetMessage;

public enum RunEnd { Completed, Cancelled, Failed }

/// <summary>The last event of a run's journal.</summary>
/// <param name="Step">steps applied</param>
/// <param name="Reason">why it failed (empty otherwise)</param>
public sealed record RunEnded(Guid RunId, RunEnd Outcome, long Step, string Reason, long AtUnixMs) : IActorNetMessage;

/// <summary>A checkpoint the run knows of: the journal sequence number of its snapshot, its step,
/// and its test accuracy (NaN when none), which retention uses to keep the best one.</summary>
public sealed record CheckpointRecord(long SequenceNr, long Step, double TestAccuracy) : IActorNetMessage;

/// <summary>
/// A checkpoint (a snapshot of the run actor): everything a synchronous run needs to continue
/// exactly as if it had never stopped. The order of the training samples is a pure function of
/// the seed and the epoch (RunSchedule), so the seed and <paramref name="Step"/> are its whole
/// random state; the optimizer's step count is the step.
/// </summary>
/// <param name="Step">steps applied: the next step to run</param>
/// <param name="EpochRows">training rows, loss sum and correct count of the current epoch's steps so far (for its metrics)</param>
/// <param name="Epochs">metrics of every completed epoch</param>
/// <param name="Checkpoints">the checkpoints taken before this one that retention still keeps</param>
/// <param name="Parameters">per layer, [W (out, in) row-major | b (out)]</param>
/// <param name="FirstMoments">per layer, the optimizer's first state slot (momentum velocity, Adam m), laid out like the parameters; empty arrays when the optimizer has none</param>
/// <param name="SecondMoments">per layer, the optimizer's second state slot (Adam v); empty arrays when none</param>
public sealed record Checkpoint<T>(Guid RunId, long Step, long Seed, int EpochRows, double EpochLossSum, long EpochCorrect,
    IReadOnlyList<EpochCompleted> Epochs, IReadOnlyList<CheckpointRecord> Checkpoints,
    T[][] Parameters, T[][] FirstMoments, T[][] SecondMoments) : IActorNetMessage;

/// <summary>Run → shard: reply with your state (sent between steps, when the shard is idle).</summary>
public sealed record CaptureShard(Guid RunId) : IActorNetMessage;

/// <summary>Shard → run: its layer's state after <paramref name="Version"/> updates; the
/// optimizer slots are copies (the shard writes its own in place).</summary>
public sealed record ShardCaptured<T>(Guid RunId, int Layer, long Version, T[] Parameters, T[] FirstMoment, T[] SecondMoment) : IActorNetMessage;

// The coordinator's own journal (persistence id "runs"): which runs it was given and which
// have ended, so that a coordinator started again resumes those still going.

/// <summary>The coordinator accepted a run.</summary>
public sealed record RunAdmitted(Guid RunId, string SpecJson, int MinWorkers, long AtUnixMs) : IActorNetMessage;

/// <summary>A run the coordinator was given has ended: completed, cancelled or failed.</summary>
public sealed record RunClosed(Guid RunId, RunEnd Outcome, string Reason) : IActorNetMessage;

/// <summary>What the API showed of a run when it ended, journaled just before its
/// <see cref="RunClosed"/> so that a coordinator started again shows it too. NaN: not known
/// (no epoch had ended).</summary>
public sealed record RunSummarized(Guid RunId, int Epoch, int Epochs, long Step, long StepsPerEpoch,
    double TrainLoss, double TestLoss, double TestAccuracy, double SamplesPerSecond, int Workers) : IActorNetMessage;

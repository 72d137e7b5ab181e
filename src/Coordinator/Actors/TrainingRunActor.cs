using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using ActorNet.Coordinator.Runs;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorNet.Actors;

/// <summary>
/// One training run: owns the schedule and the parameter shards, asks workers for model
/// replicas, starts each step by giving every replica its contiguous slice of the global
/// batch (in a stable order: the order replicas joined), and commits the step once every
/// shard has applied it and every replica has reported its loss. A replica that joins
/// takes part from the next step, with the current parameters; one that is lost mid-step
/// has its slice computed by another. Tells the listener about steps, epochs (with test
/// metrics) and the end of the run.
/// <para>
/// Its life is a state machine (<see cref="RunPhase"/>), each state receiving only what it
/// handles: recovering → awaiting replicas → stepping ⇄ checkpointing (synchronous) or
/// dispatching (asynchronous) → ending. The bookkeeping of each lives in plain classes:
/// <see cref="SyncStepper{TReplica}"/>, <see cref="AsyncDispatcher{TReplica}"/>,
/// <see cref="CheckpointBook"/>, <see cref="RunMetrics"/>, <see cref="ReplicaRoster{TRef}"/>
/// and <see cref="ResumeCheck"/>. The test set is evaluated off the actor's thread.
/// </para>
/// <para>
/// Persistent (id "run-{RunId}"): the journal records the run's start (with its spec), its
/// epochs, workers joining and leaving, its checkpoints and its end; checkpoints are snapshots
/// (<see cref="Checkpoint{T}"/>). Started again with the same id, it recovers from its last
/// checkpoint and continues with the very step it would have run next, so that the run ends
/// with the same weights, bit for bit, as one never interrupted (on as many workers).
/// </para>
/// </summary>
public sealed class TrainingRunActor<T> : ReceivePersistentActor where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Props Props(RunSetup<T> setup) => Akka.Actor.Props.Create(() => new TrainingRunActor<T>(setup));

    private readonly RunSetup<T> _setup;
    private readonly Guid _runId;
    private readonly RunSchedule _schedule;
    private readonly string _specJson;
    private readonly bool _async;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReplicaRoster<IActorRef> _roster = new();
    private readonly SyncStepper<IActorRef> _stepper;
    private readonly AsyncDispatcher<IActorRef> _dispatcher;
    private readonly CheckpointBook _checkpoints;
    private readonly RunMetrics _metrics;
    private readonly T[][] _averageGradients;
    private T[][] _parameters;
    private IActorRef[] _shards = [];
    private RunPhase _phase = RunPhase.Recovering;
    private bool _started;         // the first step (or batch) of this incarnation has started
    private bool _stopRequested;
    private (RunEnd Outcome, long Step, string Reason)? _end;
    private bool _ending;          // its end is being journaled
    // Recovery: what the journal gave.
    private RunStarted? _recoveredStart; // replayed only when no checkpoint came before it
    private RunEnded? _recoveredEnd;
    private Checkpoint<T>? _recoveredCheckpoint;
    private string? _recoveryProblem;
    private readonly Stopwatch _recoveryClock = Stopwatch.StartNew();
    // Checkpointing: the shards' states as they come, the epoch evaluation it waits for.
    private ShardCaptured<T>?[] _captured = [];
    private int _capturedCount;
    private readonly Stopwatch _pauseClock = new(); // from a checkpoint's capture to its journal entry: training stands still
    // Evaluations of ended epochs, in epoch order; one runs at a time, off the actor's thread.
    private readonly Queue<(RunMetrics.EpochTrained Trained, T[][] Parameters)> _toEvaluate = new();
    private RunMetrics.EpochTrained? _evaluating;

    public TrainingRunActor(RunSetup<T> setup)
    {
        _setup = setup;
        _runId = setup.RunId;
        var spec = setup.Spec;
        _specJson = RunSpecWriter.ToJson(spec);
        _schedule = new RunSchedule(setup.Data.Train.Count, spec.BatchSize, spec.Epochs, spec.Seed);
        var layers = setup.Layout.Layers.Count;
        _parameters = (T[][])setup.InitialParameters.Clone();
        _averageGradients = new T[layers][];
        _async = spec.Sync.Mode == SyncMode.Asynchronous;
        _stepper = new SyncStepper<IActorRef>(layers);
        _dispatcher = new AsyncDispatcher<IActorRef>(_schedule, layers, spec.Sync.MaxStaleness);
        _checkpoints = new CheckpointBook(spec.Checkpoint);
        _metrics = new RunMetrics(_runId);
        var storage = setup.Storage ?? RunStorage.InMemory;
        JournalPluginId = storage.JournalPluginId;
        SnapshotPluginId = storage.SnapshotPluginId;
        PersistenceId = CheckpointStore.RunPersistenceId(_runId);

        Recover<SnapshotOffer>(HandleSnapshotOffer);
        Recover<RunStarted>(e => _recoveredStart = e);
        Recover<CheckpointTaken>(e => _checkpoints.Taken(new CheckpointRecord(LastSequenceNr, e.Step, e.TestAccuracy)));
        Recover<RunEnded>(e => _recoveredEnd = e);
        Recover<RecoveryCompleted>(_ => HandleRecovered());
        Command<RunPhaseQuery>(ReportPhase); // commands wait for the end of recovery; then a state takes over
    }

    public override string PersistenceId { get; }

    /// <summary>An exception in a shard ends the run as failed: a restarted shard would have
    /// lost its parameters or its part of the step, and guessing would break exactness.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "Run {RunId}: an actor failed at step {Step}", _runId, _stepper.Step);
        Self.Tell(new ChildFailed($"{e.GetType().Name}: {e.Message}"));
        return Directive.Stop;
    });

    // ---------------------------------------------------------------- states

    /// <summary>Waiting for enough replicas to start the first step (or batch), or, in a
    /// synchronous run that lost all its replicas between steps, for one to continue.</summary>
    private void AwaitingReplicas()
    {
        Enter(RunPhase.AwaitingReplicas);
        Membership();
        Command<ReplicaStarted>(m =>
        {
            if (!Joined(m)) return;
            if (_started || _roster.EnoughToStart(_setup.MinWorkers, _setup.FixedWorkers)) Go();
        });
        Command<ReplicaRefused>(m =>
        {
            if (!Refused(m)) return;
            // Every worker asked said no and none is left: with no one to train, the run fails
            // (a cluster run whose workers may yet join is given more with AddWorker first).
            if (_setup.FixedWorkers && _roster.AllRefused) Fail(_stepper.Step, "no worker can take part: " + string.Join("; ", _roster.Refusals));
            else if (!_started && _roster.Joining > 0 && _roster.EnoughToStart(_setup.MinWorkers, _setup.FixedWorkers))
                Go(); // the workers still to answer have all refused: start with those that did not
        });
        Command<Terminated>(m => Lost(m.ActorRef));
        // Nothing is training: a stop ends the run now, as cancelled after the steps it has.
        Command<StopRun>(m => { if (m.RunId == _runId) Finish(RunOutcome.Cancelled, _async ? _dispatcher.BatchesDone : _stepper.Step); });
        Failures();
        Saves();
    }

    /// <summary>Synchronous: a step is out with the replicas; it commits once every part's loss
    /// and every shard's update are in.</summary>
    private void Stepping()
    {
        Enter(RunPhase.Stepping);
        Membership();
        Command<ReplicaStarted>(m =>
        {
            if (Joined(m) && _stepper.HasLostParts) AssignLostParts(); // everyone who had a part died: the newcomer takes over
        });
        Command<ReplicaRefused>(m => Refused(m));
        Command<Terminated>(m =>
        {
            if (!Lost(m.ActorRef)) return;
            // Its slice of this step is lost with it: another replica computes it once it is free.
            _stepper.Lose(m.ActorRef);
            AssignLostParts();
        });
        Command<ShardStepApplied<T>>(m =>
        {
            if (m.RunId != _runId || !_stepper.Applied(m.Step)) return;
            _parameters[m.Layer] = m.Parameters;
            _averageGradients[m.Layer] = m.AverageGradient;
            TryCommit();
        });
        Command<PartLossComputed>(m =>
        {
            if (m.RunId != _runId || !_stepper.Awaits(m.Step, m.Part)) return; // stale or a duplicate
            if (!double.IsFinite(m.LossSum))
            {
                Fail(m.Step, $"the loss is {m.LossSum} at step {m.Step} (layer {_shards.Length - 1}, the output layer, part {m.Part})");
                return;
            }
            _stepper.PartDone(m.Step, m.Part, Sender, m.Rows, m.LossSum, m.Correct);
            AssignLostParts();
            TryCommit();
        });
        Command<StopRun>(m => _stopRequested |= m.RunId == _runId); // after the step in progress
        Failures();
        Saves();
    }

    /// <summary>Synchronous, between a committed step and the next: the shards' states are
    /// collected into one checkpoint (and, at an epoch's end, the test set is evaluated), then
    /// journaled; the next step starts once that is written.</summary>
    private void Checkpointing()
    {
        Enter(RunPhase.Checkpointing);
        Membership();
        Command<ReplicaStarted>(m => Joined(m)); // takes part from the next step
        Command<ReplicaRefused>(m => Refused(m));
        Command<Terminated>(m => Lost(m.ActorRef));
        Command<ShardCaptured<T>>(m =>
        {
            if (m.RunId != _runId || (uint)m.Layer >= (uint)_captured.Length || _captured[m.Layer] is not null) return;
            _captured[m.Layer] = m;
            _capturedCount++;
            TryJournalCheckpoint();
        });
        Command<EpochEvaluated>(m =>
        {
            Evaluated(m);
            TryJournalCheckpoint();
        });
        Command<StopRun>(m => _stopRequested |= m.RunId == _runId); // the checkpoint being taken is the last
        Failures();
        Saves();
    }

    /// <summary>Asynchronous: batches go to replicas as they free up, the shards apply each
    /// gradient as it comes; epochs end in order and are evaluated off the actor's thread.</summary>
    private void Dispatching()
    {
        Enter(RunPhase.Dispatching);
        Membership();
        Command<ReplicaStarted>(m => { if (Joined(m)) Dispatch(); });
        Command<ReplicaRefused>(m => Refused(m));
        Command<Terminated>(m =>
        {
            _dispatcher.Lose(m.ActorRef); // someone else computes its batch
            if (Lost(m.ActorRef)) Dispatch();
        });
        Command<ShardStepApplied<T>>(m =>
        {
            if (m.RunId != _runId) return;
            _parameters[m.Layer] = m.Parameters;
            _dispatcher.LayerApplied(m.Layer); // one update per message, in the shard's order
            Dispatch();
        });
        Command<PartLossComputed>(HandleBatchDone);
        Command<EpochEvaluated>(Evaluated);
        Command<StopRun>(m =>
        {
            if (m.RunId != _runId) return;
            _stopRequested = true; // no more batches go out; the run ends when those out are back
            if (_dispatcher.Idle) Finish(RunOutcome.Cancelled, _dispatcher.BatchesDone);
        });
        Failures();
        Saves();
    }

    /// <summary>The run is over: it journals its end and tells the listener once its checkpoint
    /// saves, retention's deletions and epoch evaluations are done. Anything else is dropped.</summary>
    private void Ending()
    {
        Enter(RunPhase.Ending);
        Command<EpochEvaluated>(m =>
        {
            Evaluated(m);
            TryEnd();
        });
        Saves();
        CommandAny(_ => { }); // late gradients, losses, captures, joins: the run no longer needs them
    }

    private void Enter(RunPhase phase)
    {
        _phase = phase;
        Command<RunPhaseQuery>(ReportPhase);
    }

    private void ReportPhase(RunPhaseQuery _) => Sender.Tell(new RunPhaseReported(_runId, _phase));

    /// <summary>Workers offered by the cluster, in every state but the end.</summary>
    private void Membership() => Command<AddWorker>(m => AskForReplica(m.Worker));

    private void Failures()
    {
        Command<ShardStepFailed>(m => { if (m.RunId == _runId) Fail(m.Step, m.Reason); });
        Command<ChildFailed>(m => Fail(_stepper.Step, m.Reason));
        Command<EvaluationFailed>(m => Fail(_stepper.Step, $"evaluating epoch {m.Epoch} on the test set failed: {m.Reason}"));
    }

    /// <summary>The snapshot store's answers, which may come in any state: saves go on while training does.</summary>
    private void Saves()
    {
        Command<SaveSnapshotSuccess>(HandleSnapshotSaved);
        Command<SaveSnapshotFailure>(m =>
        {
            // Training goes on; the checkpoints before this one are still there.
            _log.Error(m.Cause, "Run {RunId}: checkpoint {SequenceNr} could not be saved", _runId, m.Metadata.SequenceNr);
            _checkpoints.SaveFailed(m.Metadata.SequenceNr);
            TryEnd();
        });
        Command<DeleteSnapshotSuccess>(_ => SnapshotDeleted());
        Command<DeleteSnapshotFailure>(m =>
        {
            _log.Warning(m.Cause, "Run {RunId}: could not delete checkpoint {SequenceNr}", _runId, m.Metadata.SequenceNr);
            SnapshotDeleted();
        });
    }

    // ---------------------------------------------------------------- recovery

    private void HandleSnapshotOffer(SnapshotOffer offer)
    {
        if (offer.Snapshot is Checkpoint<T> c)
        {
            _recoveredCheckpoint = c;
            _checkpoints.Restore(c.Checkpoints);
        }
        else
            _recoveryProblem = $"its checkpoint {offer.Metadata.SequenceNr} holds {offer.Snapshot.GetType().Name}, not the {typeof(T).Name} parameters of this spec";
    }

    /// <summary>Recovery is over: a new run journals its start; a known one continues from its
    /// last checkpoint (or, with none, from the beginning); an ended one only says how it ended.</summary>
    private void HandleRecovered()
    {
        // A cancelled run may be continued (actornet local --resume); one that completed or failed only says how it ended.
        if (_recoveredEnd is { Outcome: not RunEnd.Cancelled } end)
        {
            _log.Info("Run {RunId} had already ended ({Outcome} at step {Step})", _runId, end.Outcome, end.Step);
            Become(Ending);
            _setup.Listener.Tell(end.Outcome == RunEnd.Failed
                ? new RunFailed(_runId, end.Step, end.Reason)
                : new RunCompleted(_runId, end.Outcome == RunEnd.Completed ? RunOutcome.Completed : RunOutcome.Cancelled, end.Step,
                    _recoveredCheckpoint?.Epochs ?? [], ToDouble(_recoveredCheckpoint?.Parameters ?? _parameters)));
            Context.Stop(Self);
            return;
        }
        var problem = _recoveryProblem
                      ?? (_recoveredCheckpoint is { } c && !_async
                          ? ResumeCheck.Misfit(_setup.Layout, _setup.Spec, _schedule, c.Step, c.Parameters.Select(p => p.Length), (ulong)c.Seed)
                          : null)
                      ?? (_recoveredStart is { } started ? ResumeCheck.Misfit(_setup.Layout, _setup.Spec, started) : null);
        if (problem is not null)
        {
            // Nothing is written: the stored run stays as it was, for a spec that fits it.
            _log.Error("Run {RunId} cannot continue: {Problem}", _runId, problem);
            Become(Ending);
            _setup.Listener.Tell(new RunFailed(_runId, _recoveredCheckpoint?.Step ?? 0, $"cannot resume: {problem}"));
            Context.Stop(Self);
            return;
        }
        // The journal knows this run if it replayed its start, or a checkpoint (replay begins after the latest).
        var known = _recoveredStart is not null || _recoveredCheckpoint is not null;
        var restore = _async ? null : _recoveredCheckpoint;
        _recoveredCheckpoint = null; // the shards copy what they keep: no second copy of the weights for the run's lifetime
        _recoveredStart = null;
        CreateShards(restore);
        Become(AwaitingReplicas);
        if (!known)
        {
            Persist(StartEvent(), _ => Begin());
            return;
        }
        var recovery = _recoveryClock.Elapsed.TotalMilliseconds;
        _setup.Listener.Tell(new RunResumed(_runId, restore?.Step ?? 0, recovery));
        if (restore is not null)
            _log.Info("Run {RunId} resumes from its checkpoint after step {Step} (epoch {Epoch}), recovered in {Milliseconds:F0} ms",
                [_runId, restore.Step, restore.Epochs.Count, recovery]);
        else
            _log.Info("Run {RunId} starts again from the beginning: it has no checkpoint{Why}", _runId, _async ? " (asynchronous runs keep none)" : "");
        Begin();
    }

    private void CreateShards(Checkpoint<T>? restore)
    {
        var spec = _setup.Spec;
        var layers = _setup.Layout.Layers;
        if (restore is not null)
        {
            _parameters = restore.Parameters;
            _stepper.MoveTo(restore.Step);
            _metrics.Restore(restore.Epochs, new StepTotals(restore.EpochRows, restore.EpochLossSum, restore.EpochCorrect));
        }
        _shards = new IActorRef[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var shard = new ParameterShard<T>(i, layers[i], _parameters[i], spec.Optimizer, spec.TrainBiases,
                version: restore?.Step ?? 0, firstMoment: restore?.FirstMoments[i], secondMoment: restore?.SecondMoments[i], keepAverage: _setup.Trace);
            _shards[i] = Context.ActorOf(ParameterShardActor<T>.Props(_runId, shard, Self, immediate: _async, trace: _setup.Trace), $"shard-{i}");
        }
    }

    private RunStarted StartEvent()
    {
        var scaler = _setup.Data.Scaler;
        return new RunStarted(_runId, _specJson, _setup.BaseDirectory, _setup.MinWorkers, _setup.Layout.Inputs,
            _setup.Data.Train.ClassNames ?? [], scaler?.Offsets.ToArray() ?? [], scaler?.Divisors.ToArray() ?? [], Now());
    }

    private void Begin()
    {
        _log.Info("Run {RunId} ({Name}): {Parameters} parameters, {TrainSamples} training samples, {Steps} steps",
            [_runId, _setup.Spec.Name, _setup.Layout.ParameterCount, _setup.Data.Train.Count, _schedule.TotalSteps]);
        if (SnapshotPluginId == RunStorage.Sql.SnapshotPluginId && !_async) ReserveMemoryForSaves();
        foreach (var w in _setup.Workers) AskForReplica(w);
    }

    private void ReserveMemoryForSaves()
    {
        var clock = Stopwatch.StartNew();
        if (SqliteMemory.ReserveFor(Context.System, _setup.Layout.CheckpointBytes(_setup.Spec.Optimizer.Kind, Unsafe.SizeOf<T>())) is > 0 and var bytes)
            _log.Info("Run {RunId}: faulted in {MiB:F0} MiB of native memory for SQLite's copies of its checkpoints in {Ms} ms",
                [_runId, bytes / 1048576.0, clock.ElapsedMilliseconds]);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Run {RunId}: could not write {Event} to the journal", _runId, @event.GetType().Name);
        _setup.Listener.Tell(new RunFailed(_runId, _stepper.Step, $"the journal refused a write: {cause.Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "Run {RunId}: could not recover", _runId);
        _setup.Listener.Tell(new RunFailed(_runId, 0, $"cannot recover the run from the database: {reason.Message}"));
        base.OnRecoveryFailure(reason, message);
    }

    // ---------------------------------------------------------------- replicas

    private void AskForReplica(IActorRef worker)
    {
        // Synchronous: the parameters below are the result of Step updates. Asynchronous:
        // version 0, so that every update the shards send from now on is taken.
        var version = _async ? 0 : _stepper.Step;
        _roster.Asked(worker);
        worker.Tell(new StartReplica<T>(_runId, _specJson, _setup.BaseDirectory, _setup.Data.Train.Count, _setup.Data.TrainSha256,
            version, (T[][])_parameters.Clone(), _shards)); // a copy: _parameters' entries are replaced as steps apply
    }

    /// <summary>A replica is ready; it takes part from the next step. False when it is not this run's.</summary>
    private bool Joined(ReplicaStarted m)
    {
        if (m.RunId != _runId) return false;
        Context.Watch(m.Replica);
        _roster.Joined(m.Worker, m.Replica);
        _log.Info("Run {RunId}: replica on {Worker} joins from the next step", _runId, m.Worker);
        return true;
    }

    private bool Refused(ReplicaRefused m)
    {
        if (m.RunId != _runId) return false;
        _log.Warning("Run {RunId}: worker {Worker} left out: {Reason}", _runId, m.Worker, m.Reason);
        _setup.Listener.Tell(new WorkerLeftOut(_runId, m.Worker, m.Reason));
        _roster.Refused(m.Worker, m.Reason);
        return true;
    }

    /// <summary>A watched replica is gone. True when it was taking part (then the shards stop sending to it).</summary>
    private bool Lost(IActorRef replica)
    {
        if (!_roster.Lose(replica)) return false;
        var step = _async ? _dispatcher.BatchesDone : _stepper.Step;
        _log.Warning("Run {RunId}: lost replica {Replica}; {Left} left", _runId, replica.Path, _roster.Replicas.Count);
        PersistAsync(new WorkerLeft(_runId, replica.Path.Address.ToString(), step, "lost", Now()), _ => { });
        _setup.Listener.Tell(new WorkerLeftOut(_runId, replica.Path.Address.ToString(),
            $"lost at step {step} ({_roster.Replicas.Count} replica(s) left; its part of the step is computed by another)"));
        UseReplicas();
        return true;
    }

    /// <summary>Replicas that joined since the last step start now, with the current
    /// parameters (they may have been built from older ones).</summary>
    private void AdmitJoiningReplicas()
    {
        var admitted = _roster.AdmitJoining();
        if (admitted.Count == 0) return;
        foreach (var (worker, r) in admitted)
        {
            PersistAsync(new WorkerJoined(_runId, worker, _async ? _dispatcher.BatchesDone : _stepper.Step, Now()), _ => { });
            for (var l = 0; l < _parameters.Length; l++)
                r.Tell(new ParametersUpdated<T>(_runId, _async ? _dispatcher.Version(l) : _stepper.Step, l, _parameters[l]));
            if (_async) _dispatcher.Join(r);
        }
        UseReplicas();
    }

    private void UseReplicas()
    {
        var use = new UseReplicas(_runId, _roster.Replicas.ToArray());
        foreach (var s in _shards) s.Tell(use);
    }

    // ---------------------------------------------------------------- synchronous steps

    /// <summary>Enough replicas: training starts (or, after a wait, goes on).</summary>
    private void Go()
    {
        if (_async)
        {
            Become(Dispatching);
            Dispatch();
        }
        else StartStep(_stepper.Step);
    }

    private void StartStep(long step)
    {
        AdmitJoiningReplicas();
        var indices = _schedule.Indices(step);
        var assignments = _stepper.Start(step, _roster.Replicas, indices.Length);
        if (assignments.Count == 0)
        {
            Become(AwaitingReplicas); // no replica: the next one to join starts the step
            return;
        }
        _started = true;
        _metrics.Training();
        Become(Stepping);
        Send(assignments, indices);
    }

    private void Send(IReadOnlyList<SyncStepper<IActorRef>.Assignment> assignments, ReadOnlySpan<int> indices)
    {
        foreach (var a in assignments)
            a.Replica.Tell(new ComputeGradients(_runId, a.Step, a.Attempt, a.Part, a.Parts, indices.Slice(a.Start, a.Count).ToArray()));
    }

    /// <summary>Hands the parts of the step whose replica was lost to free replicas (a replica
    /// that joined meanwhile counts: it starts from the current parameters).</summary>
    private void AssignLostParts()
    {
        if (!_stepper.HasLostParts) return;
        AdmitJoiningReplicas();
        Send(_stepper.AssignLost(_roster.Replicas), _schedule.Indices(_stepper.Step));
    }

    private void TryCommit()
    {
        if (!_stepper.Complete) return;
        var step = _stepper.Step;
        var totals = _stepper.Commit();
        var (epoch, position) = _schedule.Locate(step);
        var listener = _setup.Listener;
        listener.Tell(new StepCompleted(_runId, step, epoch + 1, position + 1, _schedule.StepsPerEpoch,
            totals.Rows, totals.LossSum / totals.Rows, (int)totals.Correct, _stepper.Parts));
        if (_setup.Trace)
            listener.Tell(new StepTraced(_runId, step, ToDouble(_averageGradients), ToDouble(_parameters)));
        _metrics.Add(totals);

        var endsEpoch = _schedule.EndsEpoch(step);
        // No step runs while the epoch is evaluated: the parameters stay as they are without a copy.
        if (endsEpoch) Evaluate(_metrics.EndEpoch(epoch + 1, trainingGoesOn: false), _parameters);
        var applied = step + 1;
        var last = applied >= _schedule.TotalSteps || _stopRequested;
        if (_checkpoints.Due(applied, endsEpoch, last)) // always at an epoch's end, whose evaluation it waits for
        {
            // Between steps every shard is idle: their states together are one consistent checkpoint.
            _captured = new ShardCaptured<T>?[_shards.Length];
            _capturedCount = 0;
            _pauseClock.Restart();
            Become(Checkpointing);
            foreach (var s in _shards) s.Tell(new CaptureShard(_runId));
            return;
        }
        StartStep(applied);
    }

    /// <summary>Journals the checkpoint once every shard's state is in and the epoch it ends (if
    /// any) is evaluated; then saves it and goes on with the next step, or ends the run.</summary>
    private void TryJournalCheckpoint()
    {
        if (_capturedCount < _captured.Length || _evaluating is not null || _toEvaluate.Count > 0) return;
        var step = _stepper.Step;
        var applied = step + 1;
        var parts = _captured.Select(c => c!).ToArray();
        var epochs = _metrics.Epochs;
        var lastEpoch = epochs.Count > 0 && _schedule.EndsEpoch(step) ? epochs[^1] : null;
        var epochTotals = _metrics.EpochTotals;
        var taken = new CheckpointTaken(_runId, applied, epochs.Count, Now(),
            lastEpoch?.TrainLoss ?? epochTotals.LossSum / Math.Max(epochTotals.Rows, 1), lastEpoch?.TestLoss ?? double.NaN, lastEpoch?.TestAccuracy ?? double.NaN);
        var pauseMs = _pauseClock.Elapsed.TotalMilliseconds;
        Persist(taken, e =>
        {
            _checkpoints.Taken(new CheckpointRecord(LastSequenceNr, e.Step, e.TestAccuracy));
            var checkpoint = new Checkpoint<T>(_runId, applied, (long)_setup.Spec.Seed, epochTotals.Rows, epochTotals.LossSum, epochTotals.Correct,
                epochs.ToArray(), _checkpoints.Records.ToArray(),
                parts.Select(p => p.Parameters).ToArray(), parts.Select(p => p.FirstMoment).ToArray(), parts.Select(p => p.SecondMoment).ToArray());
            SaveSnapshot(checkpoint);
            _checkpoints.Saving(LastSequenceNr, applied, pauseMs);
            if (_end is not null) return; // failed meanwhile: Ending waits for this save
            if (applied >= _schedule.TotalSteps || _stopRequested)
            {
                Finish(applied >= _schedule.TotalSteps ? RunOutcome.Completed : RunOutcome.Cancelled, applied); // once the checkpoint is stored
                return;
            }
            StartStep(applied);
        });
    }

    private void HandleSnapshotSaved(SaveSnapshotSuccess m)
    {
        if (_checkpoints.Saved(m.Metadata.SequenceNr, out var toDelete) is var (step, pauseMs, saveMs))
        {
            _log.Info("Run {RunId}: checkpoint after step {Step} saved ({SequenceNr}); training paused {PauseMs:F1} ms for it, the store took {SaveMs:F0} ms more",
                [_runId, step, m.Metadata.SequenceNr, pauseMs, saveMs]);
            _setup.Listener.Tell(new CheckpointSaved(_runId, step, pauseMs, saveMs));
        }
        foreach (var sequenceNr in toDelete) DeleteSnapshot(sequenceNr);
        TryEnd();
    }

    private void SnapshotDeleted()
    {
        _checkpoints.Deleted();
        TryEnd();
    }

    // ---------------------------------------------------------------- asynchronous batches

    private void Dispatch()
    {
        AdmitJoiningReplicas();
        if (_stopRequested || _end is not null) return;
        var handed = _dispatcher.Dispatch(_roster.Replicas);
        if (handed.Count == 0) return;
        _started = true;
        _metrics.Training();
        foreach (var (r, batch) in handed)
            r.Tell(new ComputeGradients(_runId, batch, 0, 0, 1, _schedule.Indices(batch).ToArray()));
    }

    private void HandleBatchDone(PartLossComputed m)
    {
        if (m.RunId != _runId || !_dispatcher.BatchDone(Sender, m.Step, out var epochsEnded)) return;
        _metrics.Add(new StepTotals(m.Rows, m.LossSum, m.Correct));
        var (epoch, position) = _schedule.Locate(m.Step);
        _setup.Listener.Tell(new StepCompleted(_runId, m.Step, epoch + 1, position + 1, _schedule.StepsPerEpoch, m.Rows, m.LossSum / m.Rows, m.Correct,
            _roster.Replicas.Count));
        // Training goes on while an ended epoch is evaluated: on a copy of the parameters as they are now.
        foreach (var e in epochsEnded)
            Evaluate(_metrics.EndEpoch(e, trainingGoesOn: true), _parameters.Select(p => (T[])p.Clone()).ToArray());
        if (_dispatcher.Done || (_stopRequested && _dispatcher.Idle))
        {
            Finish(_dispatcher.Done ? RunOutcome.Completed : RunOutcome.Cancelled, _dispatcher.BatchesDone);
            return;
        }
        Dispatch();
    }

    // ---------------------------------------------------------------- epochs

    /// <summary>Queues an ended epoch's evaluation on the test set; one runs at a time, in epoch
    /// order, on the thread pool, so that the run answers (stop, joins, losses) meanwhile.</summary>
    private void Evaluate(RunMetrics.EpochTrained trained, T[][] parameters)
    {
        _toEvaluate.Enqueue((trained, parameters));
        EvaluateNext();
    }

    private void EvaluateNext()
    {
        if (_evaluating is not null || !_toEvaluate.TryDequeue(out var next)) return;
        _evaluating = next.Trained;
        var (layout, loss, test, epoch) = (_setup.Layout, _setup.Spec.Loss, _setup.Data.Test, next.Trained.Epoch);
        Task.Run(() => Inference.Evaluate<T>(layout, next.Parameters, loss, test)).PipeTo(Self,
            success: r => new EpochEvaluated(epoch, r.Loss, r.Accuracy),
            failure: e => new EvaluationFailed(epoch, e.GetBaseException().Message));
    }

    private void Evaluated(EpochEvaluated m)
    {
        if (_evaluating is not { } trained || trained.Epoch != m.Epoch) return;
        _evaluating = null;
        var e = _metrics.Complete(trained, m.TestLoss, m.TestAccuracy);
        _log.Info("Run {RunId} epoch {Epoch}: train loss {TrainLoss:G6}, test loss {TestLoss:G6}, test accuracy {TestAccuracy:P2}, {SamplesPerSecond:F0} samples/s",
            [_runId, e.Epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy, e.SamplesPerSecond]);
        _setup.Listener.Tell(e);
        PersistAsync(e, _ => { });
        EvaluateNext();
    }

    // ---------------------------------------------------------------- the end

    /// <summary>Ends the run as failed. Its checkpoints stay: the last one is the last good state.</summary>
    private void Fail(long step, string reason)
    {
        if (_end is not null) return;
        _log.Error("Run {RunId} failed at step {Step}: {Reason}", _runId, step, reason);
        _end = (RunEnd.Failed, step, reason);
        _toEvaluate.Clear(); // a failed run's later epochs are not reported
        Become(Ending);
        TryEnd();
    }

    private void Finish(RunOutcome outcome, long steps)
    {
        if (_end is not null) return;
        _log.Info("Run {RunId} {Outcome} after {Steps} steps", _runId, outcome, steps);
        _end = (outcome == RunOutcome.Completed ? RunEnd.Completed : RunEnd.Cancelled, steps, "");
        Become(Ending);
        TryEnd();
    }

    /// <summary>Journals the run's end and tells the listener, once every checkpoint save,
    /// retention's deletions and epoch evaluation are done: the process may exit as soon as the
    /// run says it has ended, and its last checkpoint (its final weights, or its last good state)
    /// must be stored by then.</summary>
    private void TryEnd()
    {
        if (_end is not { } end || _ending || !_checkpoints.Idle || _evaluating is not null || _toEvaluate.Count > 0) return;
        _ending = true;
        Persist(new RunEnded(_runId, end.Outcome, end.Step, end.Reason, Now()), _ =>
        {
            _setup.Listener.Tell(end.Outcome == RunEnd.Failed
                ? new RunFailed(_runId, end.Step, end.Reason)
                : new RunCompleted(_runId, end.Outcome == RunEnd.Completed ? RunOutcome.Completed : RunOutcome.Cancelled,
                    end.Step, _metrics.Epochs.ToArray(), ToDouble(_parameters)));
            Context.Stop(Self);
        });
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static double[][] ToDouble(T[][] arrays) =>
        arrays.Select(a => a is null ? [] : a.Select(double.CreateChecked).ToArray()).ToArray();

    /// <summary>Self → self: a shard failed with an exception (see SupervisorStrategy).</summary>
    private sealed record ChildFailed(string Reason);

    /// <summary>Thread pool → self: an epoch's test figures.</summary>
    private sealed record EpochEvaluated(int Epoch, double TestLoss, double TestAccuracy);

    private sealed record EvaluationFailed(int Epoch, string Reason);
}

/// <summary>Where a run is in its life (<see cref="TrainingRunActor{T}"/>'s states).</summary>
public enum RunPhase { Recovering, AwaitingReplicas, Stepping, Checkpointing, Dispatching, Ending }

/// <summary>Ask a run actor which <see cref="RunPhase"/> it is in (in-process: tests, the API).</summary>
public sealed record RunPhaseQuery;

public sealed record RunPhaseReported(Guid RunId, RunPhase Phase);

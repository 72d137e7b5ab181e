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
/// Its handlers are in three files: this one (states and recovery), TrainingRunActor.Steps.cs
/// (replicas, synchronous steps and checkpoints) and TrainingRunActor.Batches.cs (asynchronous
/// batches, epochs and the run's end).
/// </para>
/// <para>
/// Persistent (id "run-{RunId}"): the journal records the run's start (with its spec), its
/// epochs, workers joining and leaving, its checkpoints and its end; checkpoints are snapshots
/// (<see cref="Checkpoint{T}"/>). Started again with the same id, it recovers from its last
/// checkpoint and continues with the very step it would have run next, so that the run ends
/// with the same weights, bit for bit, as one never interrupted (on as many workers).
/// </para>
/// </summary>
public sealed partial class TrainingRunActor<T> : ReceivePersistentActor where T : unmanaged, IFloatingPointIeee754<T>
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
    private readonly RunRecovery<T> _recovery;
    private readonly Stopwatch _recoveryClock = Stopwatch.StartNew();
    // Checkpointing: the shards' states as they come, the epoch evaluation it waits for.
    private ShardCaptured<T>?[] _captured = [];
    private int _capturedCount;
    private readonly Stopwatch _pauseClock = new(); // from a checkpoint's capture to its journal entry: training stands still
    private readonly EpochEvaluations<T[][]> _evaluations = new(); // off the actor's thread, one at a time

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
        _recovery = new RunRecovery<T>(setup.Layout, spec, _schedule, _async);
        var storage = setup.Storage ?? RunStorage.InMemory;
        JournalPluginId = storage.JournalPluginId;
        SnapshotPluginId = storage.SnapshotPluginId;
        PersistenceId = CheckpointStore.RunPersistenceId(_runId);

        Recover<SnapshotOffer>(offer =>
        {
            _recovery.Offered(offer.Snapshot, offer.Metadata.SequenceNr);
            if (offer.Snapshot is Checkpoint<T> c) _checkpoints.Restore(c.Checkpoints);
        });
        Recover<RunStarted>(_recovery.Started);
        Recover<CheckpointTaken>(e => _checkpoints.Taken(new CheckpointRecord(LastSequenceNr, e.Step, e.TestAccuracy)));
        Recover<RunEnded>(_recovery.Closed);
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

    /// <summary>Recovery is over: a new run journals its start; a known one continues from its
    /// last checkpoint (or, with none, from the beginning); an ended one only says how it ended.</summary>
    private void HandleRecovered()
    {
        switch (_recovery.Decide(_runId, _parameters))
        {
            case RunRecovery<T>.Ended ended:
                _log.Info("Run {RunId} had already ended ({Outcome} at step {Step})", _runId, ended.End.Outcome, ended.End.Step);
                Become(Ending);
                _setup.Listener.Tell(ended.Told);
                Context.Stop(Self);
                return;
            case RunRecovery<T>.Refused refused:
                // Nothing is written: the stored run stays as it was, for a spec that fits it.
                _log.Error("Run {RunId} cannot continue: {Problem}", _runId, refused.Problem);
                Become(Ending);
                _setup.Listener.Tell(new RunFailed(_runId, refused.Step, $"cannot resume: {refused.Problem}"));
                Context.Stop(Self);
                return;
            case RunRecovery<T>.New:
                CreateShards(null);
                Become(AwaitingReplicas);
                Persist(StartEvent(), _ => Begin());
                return;
            case RunRecovery<T>.Continue(var restore):
                CreateShards(restore);
                Become(AwaitingReplicas);
                var recovery = _recoveryClock.Elapsed.TotalMilliseconds;
                _setup.Listener.Tell(new RunResumed(_runId, restore?.Step ?? 0, recovery));
                if (restore is not null)
                    _log.Info("Run {RunId} resumes from its checkpoint after step {Step} (epoch {Epoch}), recovered in {Milliseconds:F0} ms",
                        [_runId, restore.Step, restore.Epochs.Count, recovery]);
                else
                    _log.Info("Run {RunId} starts again from the beginning: it has no checkpoint{Why}", _runId, _async ? " (asynchronous runs keep none)" : "");
                Begin();
                return;
        }
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
}

using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorNet.Actors;

/// <summary>Everything a run actor starts from.</summary>
/// <param name="Workers">worker actors to ask for replicas at the start (more may come with <see cref="AddWorker"/>)</param>
/// <param name="BaseDirectory">folder relative data paths in the spec start from</param>
/// <param name="Trace">also send <see cref="StepTraced"/> after every step</param>
/// <param name="MinWorkers">replicas the first step waits for (so that a run repeats exactly, it always starts on as many)</param>
/// <param name="FixedWorkers">the workers given are all there will be (local mode): the first step starts once
/// each has answered, and the run fails if all refuse. Otherwise (a cluster) the run waits for MinWorkers.</param>
/// <param name="Storage">where the run's journal and checkpoints go; default in memory (nothing survives the process)</param>
public sealed record RunSetup<T>(Guid RunId, RunSpec Spec, string? BaseDirectory, ModelLayout Layout, DataCache.Entry Data, T[][] InitialParameters,
    IReadOnlyList<IActorRef> Workers, bool Trace, IActorRef Listener, bool FixedWorkers = true, int MinWorkers = 1, RunStorage? Storage = null);

/// <summary>The Akka.Persistence plugins a run journals and checkpoints to.</summary>
public sealed record RunStorage(string JournalPluginId, string SnapshotPluginId)
{
    /// <summary>Akka.Persistence's in-memory plugins: for tests and the worked example.</summary>
    public static readonly RunStorage InMemory = new("akka.persistence.journal.inmem", "akka.persistence.snapshot-store.inmem");

    /// <summary>Akka.Persistence.Sql, configured by <see cref="Persistence.Database.ToAkkaConfig"/>.</summary>
    public static readonly RunStorage Sql = new(Persistence.Database.JournalPluginId, Persistence.Database.SnapshotPluginId);
}

/// <summary>
/// One training run: owns the schedule and the parameter shards, asks workers for model
/// replicas, starts each step by giving every replica its contiguous slice of the global
/// batch (in a stable order: the order replicas joined), and commits the step once every
/// shard has applied it and every replica has reported its loss. A replica that joins
/// takes part from the next step, with the current parameters; one that is lost mid-step
/// has its slice computed by another. Tells the listener about steps, epochs (with test
/// metrics) and the end of the run.
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
    private readonly RunSchedule _schedule;
    private IActorRef[] _shards = [];
    private readonly List<IActorRef> _replicas = [];
    private readonly List<(string Worker, IActorRef Replica)> _joining = [];
    private T[][] _parameters;
    private readonly T[][] _averageGradients;
    private List<EpochCompleted> _epochs = [];
    private readonly Stopwatch _epochClock = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _specJson;
    private readonly HashSet<IActorRef> _askedWorkers = [];
    private readonly List<string> _refusals = [];
    private long _step;
    private int _attempt;
    private bool _stepInProgress;
    private IActorRef?[] _stepParts = [];  // who computes each part of the step (null: lost, waiting for someone)
    private bool[] _partsDone = [];
    private readonly Queue<int> _lostParts = new();
    private readonly HashSet<IActorRef> _busy = [];
    private int _applied;
    private StepTotals _stepTotals;
    private StepTotals _epochTotals;
    private bool _stopRequested;
    // Asynchronous (stale-synchronous) training: which batch each replica has, how many steps
    // each has done, batches to hand out again (their replica was lost), per-layer versions.
    private readonly bool _async;
    private readonly Dictionary<IActorRef, long> _assigned = [];
    private readonly Dictionary<IActorRef, long> _clocks = [];
    private readonly Queue<long> _retry = new();
    private readonly long[] _layerVersions;
    private readonly Dictionary<int, int> _batchesDoneInEpoch = [];
    private long _nextBatch;
    private long _batchesDone;
    // Persistence: what recovery found, the checkpoints retention keeps, a capture in progress.
    private RunStarted? _recoveredStart; // replayed only when no checkpoint came before it
    private RunEnded? _recoveredEnd;
    private Checkpoint<T>? _recoveredCheckpoint;
    private string? _recoveryProblem;
    private List<CheckpointRecord> _checkpoints = [];
    private ShardCaptured<T>?[] _captured = [];
    private int _capturedCount;
    private readonly Dictionary<long, (long Step, double PauseMs, Stopwatch Clock)> _saving = []; // checkpoints sent to the snapshot store, not yet confirmed
    private readonly Stopwatch _recoveryClock = Stopwatch.StartNew();
    private readonly Stopwatch _pauseClock = new(); // from a checkpoint's capture to its journal entry: training stands still
    private readonly Stopwatch _sinceCheckpoint = Stopwatch.StartNew(); // checkpoint.everySeconds
    private int _pendingDeletes;     // retention's deletions not yet confirmed: the run ends after them
    private bool _started; // the first step of this incarnation has started
    private bool _checkpointing; // between a committed step and the next: shards being captured, checkpoint being journaled
    private (RunEnd Outcome, long Step, string Reason)? _end; // the run is over: it ends once its saves are done
    private bool _ending;                                       // its end is being journaled

    public TrainingRunActor(RunSetup<T> setup)
    {
        _setup = setup;
        var spec = setup.Spec;
        _specJson = RunSpecWriter.ToJson(spec);
        _schedule = new RunSchedule(setup.Data.Train.Count, spec.BatchSize, spec.Epochs, spec.Seed);
        var layers = setup.Layout.Layers;
        _parameters = (T[][])setup.InitialParameters.Clone();
        _averageGradients = new T[layers.Count][];
        _async = spec.Sync.Mode == SyncMode.Asynchronous;
        _layerVersions = new long[layers.Count];
        var storage = setup.Storage ?? RunStorage.InMemory;
        JournalPluginId = storage.JournalPluginId;
        SnapshotPluginId = storage.SnapshotPluginId;
        PersistenceId = CheckpointStore.RunPersistenceId(setup.RunId);

        Recover<SnapshotOffer>(HandleSnapshotOffer);
        Recover<RunStarted>(e => _recoveredStart = e);
        Recover<CheckpointTaken>(e => _checkpoints.Add(new CheckpointRecord(LastSequenceNr, e.Step, e.TestAccuracy)));
        Recover<RunEnded>(e => _recoveredEnd = e);
        Recover<RecoveryCompleted>(_ => HandleRecovered());

        Command<AddWorker>(m => AskForReplica(m.Worker));
        Command<ReplicaStarted>(HandleReplicaStarted);
        Command<ReplicaRefused>(HandleReplicaRefused);
        Command<Terminated>(HandleTerminated);
        Command<ShardStepApplied<T>>(HandleApplied);
        Command<PartLossComputed>(HandlePartLoss);
        Command<ShardCaptured<T>>(HandleCaptured);
        Command<SaveSnapshotSuccess>(HandleSnapshotSaved);
        Command<SaveSnapshotFailure>(HandleSnapshotFailed);
        Command<DeleteSnapshotSuccess>(_ => SnapshotDeleted());
        Command<DeleteSnapshotFailure>(m =>
        {
            _log.Warning(m.Cause, "Run {RunId}: could not delete checkpoint {SequenceNr}", _setup.RunId, m.Metadata.SequenceNr);
            SnapshotDeleted();
        });
        Command<ShardStepFailed>(m => Fail(m.Step, m.Reason));
        Command<ChildFailed>(m => Fail(_step, m.Reason));
        Command<StopRun>(m => _stopRequested |= m.RunId == setup.RunId);
    }

    public override string PersistenceId { get; }

    /// <summary>An exception in a shard ends the run as failed: a restarted shard would have
    /// lost its parameters or its part of the step, and guessing would break exactness.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "Run {RunId}: an actor failed at step {Step}", _setup.RunId, _step);
        Self.Tell(new ChildFailed($"{e.GetType().Name}: {e.Message}"));
        return Directive.Stop;
    });

    private void HandleSnapshotOffer(SnapshotOffer offer)
    {
        if (offer.Snapshot is Checkpoint<T> c)
        {
            _recoveredCheckpoint = c;
            _checkpoints = [.. c.Checkpoints];
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
            _log.Info("Run {RunId} had already ended ({Outcome} at step {Step})", _setup.RunId, end.Outcome, end.Step);
            _setup.Listener.Tell(end.Outcome == RunEnd.Failed
                ? new RunFailed(_setup.RunId, end.Step, end.Reason)
                : new RunCompleted(_setup.RunId, end.Outcome == RunEnd.Completed ? RunOutcome.Completed : RunOutcome.Cancelled, end.Step,
                    _recoveredCheckpoint?.Epochs ?? [], ToDouble(_recoveredCheckpoint?.Parameters ?? _parameters)));
            Context.Stop(Self);
            return;
        }
        var problem = _recoveryProblem
                      ?? (_recoveredCheckpoint is { } c && !_async ? Misfit(c) : null)
                      ?? (_recoveredStart is { } started ? Misfit(started) : null);
        if (problem is not null)
        {
            // Nothing is written: the stored run stays as it was, for a spec that fits it.
            _log.Error("Run {RunId} cannot continue: {Problem}", _setup.RunId, problem);
            _setup.Listener.Tell(new RunFailed(_setup.RunId, _recoveredCheckpoint?.Step ?? 0, $"cannot resume: {problem}"));
            Context.Stop(Self);
            return;
        }
        // The journal knows this run if it replayed its start, or a checkpoint (replay begins after the latest).
        var known = _recoveredStart is not null || _recoveredCheckpoint is not null;
        var restore = _async ? null : _recoveredCheckpoint;
        _recoveredCheckpoint = null; // the shards copy what they keep: no second copy of the weights for the run's lifetime
        _recoveredStart = null;
        CreateShards(restore);
        if (!known)
        {
            Persist(StartEvent(), _ => Begin());
            return;
        }
        var recovery = _recoveryClock.Elapsed.TotalMilliseconds;
        _setup.Listener.Tell(new RunResumed(_setup.RunId, restore?.Step ?? 0, recovery));
        if (restore is not null)
            _log.Info("Run {RunId} resumes from its checkpoint after step {Step} (epoch {Epoch}), recovered in {Milliseconds:F0} ms",
                [_setup.RunId, restore.Step, restore.Epochs.Count, recovery]);
        else
            _log.Info("Run {RunId} starts again from the beginning: it has no checkpoint{Why}", _setup.RunId, _async ? " (asynchronous runs keep none)" : "");
        Begin();
    }

    /// <summary>Why a checkpoint cannot continue this run's spec, or null when it fits.</summary>
    private string? Misfit(Checkpoint<T> c)
    {
        if (c.Step > _schedule.TotalSteps) return $"the checkpoint is after step {c.Step}, the spec has only {_schedule.TotalSteps} steps";
        return Misfit($"the checkpoint after step {c.Step}", c.Parameters.Select(p => p.Length).ToArray(), (ulong)c.Seed);
    }

    /// <summary>Why the spec the run was started with (a run with no checkpoint yet) is not this one, or null.</summary>
    private string? Misfit(RunStarted started)
    {
        RunSpec stored;
        try
        {
            stored = RunSpecReader.Parse(started.SpecJson, $"run {started.RunId} journal", "run");
        }
        catch (RunSpecException e)
        {
            return $"its journal's spec cannot be read: {e.Errors[0]}";
        }
        var layout = ModelLayout.From(stored, started.Inputs);
        return Misfit("the run's journal", layout.Layers.Select(l => l.ParameterCount).ToArray(), stored.Seed);
    }

    /// <param name="what">what holds the stored shapes, for the message</param>
    private string? Misfit(string what, int[] storedParameters, ulong storedSeed)
    {
        var layers = _setup.Layout.Layers;
        if (storedParameters.Length != layers.Count)
            return $"{what} has {storedParameters.Length} layers, the spec {layers.Count}";
        for (var l = 0; l < layers.Count; l++)
            if (storedParameters[l] != layers[l].ParameterCount)
                return $"layer {l} of {what} has {storedParameters[l]} parameters, the spec's layer {l} ({layers[l].Inputs}→{layers[l].Outputs}) has {layers[l].ParameterCount}";
        if (storedSeed != _setup.Spec.Seed) return $"{what} has seed {storedSeed}, the spec {_setup.Spec.Seed}";
        return null;
    }

    private void CreateShards(Checkpoint<T>? restore)
    {
        var spec = _setup.Spec;
        var layers = _setup.Layout.Layers;
        if (restore is not null)
        {
            _parameters = restore.Parameters;
            _step = restore.Step;
            _epochs = [.. restore.Epochs];
            _epochTotals = new StepTotals(restore.EpochRows, restore.EpochLossSum, restore.EpochCorrect);
        }
        _shards = new IActorRef[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var shard = new ParameterShard<T>(i, layers[i], _parameters[i], spec.Optimizer, spec.TrainBiases,
                version: restore?.Step ?? 0, firstMoment: restore?.FirstMoments[i], secondMoment: restore?.SecondMoments[i], keepAverage: _setup.Trace);
            _shards[i] = Context.ActorOf(ParameterShardActor<T>.Props(_setup.RunId, shard, Self, immediate: _async, trace: _setup.Trace), $"shard-{i}");
        }
    }

    private RunStarted StartEvent()
    {
        var scaler = _setup.Data.Scaler;
        return new RunStarted(_setup.RunId, _specJson, _setup.BaseDirectory, _setup.MinWorkers, _setup.Layout.Inputs,
            _setup.Data.Train.ClassNames ?? [], scaler?.Offsets.ToArray() ?? [], scaler?.Divisors.ToArray() ?? [], Now());
    }

    private void Begin()
    {
        _log.Info("Run {RunId} ({Name}): {Parameters} parameters, {TrainSamples} training samples, {Steps} steps",
            [_setup.RunId, _setup.Spec.Name, _setup.Layout.ParameterCount, _setup.Data.Train.Count, _schedule.TotalSteps]);
        if (SnapshotPluginId == RunStorage.Sql.SnapshotPluginId && !_async) ReserveMemoryForSaves();
        foreach (var w in _setup.Workers) AskForReplica(w);
        _epochClock.Start();
    }

    private void ReserveMemoryForSaves()
    {
        var clock = Stopwatch.StartNew();
        if (SqliteMemory.ReserveFor(Context.System, _setup.Layout.CheckpointBytes(_setup.Spec.Optimizer.Kind, Unsafe.SizeOf<T>())) is > 0 and var bytes)
            _log.Info("Run {RunId}: faulted in {MiB:F0} MiB of native memory for SQLite's copies of its checkpoints in {Ms} ms",
                [_setup.RunId, bytes / 1048576.0, clock.ElapsedMilliseconds]);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Run {RunId}: could not write {Event} to the journal", _setup.RunId, @event.GetType().Name);
        _setup.Listener.Tell(new RunFailed(_setup.RunId, _step, $"the journal refused a write: {cause.Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "Run {RunId}: could not recover", _setup.RunId);
        _setup.Listener.Tell(new RunFailed(_setup.RunId, 0, $"cannot recover the run from the database: {reason.Message}"));
        base.OnRecoveryFailure(reason, message);
    }

    private void AskForReplica(IActorRef worker)
    {
        // Synchronous: the parameters below are the result of _step updates. Asynchronous:
        // version 0, so that every update the shards send from now on is taken.
        var version = _async ? 0 : _step;
        _askedWorkers.Add(worker);
        worker.Tell(new StartReplica<T>(_setup.RunId, _specJson, _setup.BaseDirectory, _setup.Data.Train.Count, _setup.Data.TrainSha256,
            version, (T[][])_parameters.Clone(), _shards)); // a copy: _parameters' entries are replaced as steps apply
    }

    private void HandleReplicaStarted(ReplicaStarted m)
    {
        if (m.RunId != _setup.RunId) return;
        Context.Watch(m.Replica);
        _joining.Add((m.Worker, m.Replica));
        _log.Info("Run {RunId}: replica on {Worker} joins from the next step", _setup.RunId, m.Worker);
        if (_async)
        {
            if (_nextBatch > 0 || EnoughToStart()) Dispatch();
            return;
        }
        if (_stepInProgress && _lostParts.Count > 0)
        {
            AssignLostParts(); // everyone who had the step died: the newcomer takes over
            return;
        }
        if (!_stepInProgress && (_started || EnoughToStart())) StartStep(_step);
    }

    private void HandleReplicaRefused(ReplicaRefused m)
    {
        if (m.RunId != _setup.RunId) return;
        _log.Warning("Run {RunId}: worker {Worker} left out: {Reason}", _setup.RunId, m.Worker, m.Reason);
        _setup.Listener.Tell(new WorkerLeftOut(_setup.RunId, m.Worker, m.Reason));
        _refusals.Add($"{m.Worker}: {m.Reason}");
        // Every worker asked said no and none is left: with no one to train, the run fails
        // (a cluster run whose workers may yet join is given more with AddWorker first).
        if (_refusals.Count >= _askedWorkers.Count && _replicas.Count == 0 && _joining.Count == 0 && _setup.FixedWorkers)
            Fail(_step, "no worker can take part: " + string.Join("; ", _refusals));
        else if (!_stepInProgress && !_started && _joining.Count > 0 && EnoughToStart())
            StartStep(_step); // the workers still to answer have all refused: start with those that did not
    }

    /// <summary>The first step (of a new run, or of a run resumed from a checkpoint) waits for
    /// MinWorkers replicas (so that a run repeats exactly, it always starts on as many); with a
    /// fixed set of workers, for as many as did not refuse.</summary>
    private bool EnoughToStart()
    {
        var ready = _replicas.Count + _joining.Count;
        return ready >= _setup.MinWorkers || (_setup.FixedWorkers && ready > 0 && ready >= _askedWorkers.Count - _refusals.Count);
    }

    private void HandleTerminated(Terminated t)
    {
        _joining.RemoveAll(j => j.Replica.Equals(t.ActorRef));
        if (!_replicas.Remove(t.ActorRef)) return;
        _log.Warning("Run {RunId}: lost replica {Replica}; {Left} left", _setup.RunId, t.ActorRef.Path, _replicas.Count);
        PersistAsync(new WorkerLeft(_setup.RunId, t.ActorRef.Path.Address.ToString(), _step, "lost", Now()), _ => { });
        _setup.Listener.Tell(new WorkerLeftOut(_setup.RunId, t.ActorRef.Path.Address.ToString(),
            $"lost at step {_step} ({_replicas.Count} replica(s) left; its part of the step is computed by another)"));
        UseReplicas();
        if (_async)
        {
            _clocks.Remove(t.ActorRef);
            if (_assigned.Remove(t.ActorRef, out var lost)) _retry.Enqueue(lost); // someone else computes it
            Dispatch();
            return;
        }
        _busy.Remove(t.ActorRef);
        if (!_stepInProgress) return;
        // Its slice of this step is lost with it: another replica computes it (with the same
        // part number, so the shards add it in the same place) once it is free.
        for (var k = 0; k < _stepParts.Length; k++)
            if (t.ActorRef.Equals(_stepParts[k]) && !_partsDone[k])
            {
                _stepParts[k] = null;
                _lostParts.Enqueue(k);
            }
        AssignLostParts();
    }

    /// <summary>Hands the parts of the step whose replica was lost to free replicas (a replica
    /// that joined meanwhile counts: it starts from the current parameters).</summary>
    private void AssignLostParts()
    {
        if (_lostParts.Count == 0) return;
        AdmitJoiningReplicas();
        var indices = _schedule.Indices(_step);
        foreach (var r in _replicas)
        {
            if (_lostParts.Count == 0) break;
            if (_busy.Contains(r)) continue;
            var k = _lostParts.Dequeue();
            var (start, count) = Batches.Piece(indices.Length, _stepParts.Length, k);
            _attempt++; // a new round for the replica's layers
            _stepParts[k] = r;
            _busy.Add(r);
            r.Tell(new ComputeGradients(_setup.RunId, _step, _attempt, k, _stepParts.Length, indices.Slice(start, count).ToArray()));
        }
    }

    private void StartStep(long step)
    {
        // Failed or finishing: no new step. Checkpointing: step _step is committed but _step not yet
        // advanced; the next step starts once the checkpoint is journaled (a replica that joins
        // meanwhile must not start step _step again).
        if (_end is not null || _checkpointing) return;
        if (_step != step) _attempt = 0;
        if (!_started && !_stepInProgress) _epochClock.Restart(); // waiting for workers is not training time
        _step = step;
        AdmitJoiningReplicas();
        if (_replicas.Count == 0)
        {
            _stepInProgress = false; // wait for a replica (HandleReplicaStarted starts the step)
            return;
        }
        _stepInProgress = true;
        _started = true;
        _applied = 0;
        _stepTotals = default;
        _lostParts.Clear();
        _busy.Clear();
        var indices = _schedule.Indices(step);
        var parts = Math.Min(_replicas.Count, indices.Length);
        _stepParts = _replicas.Take(parts).ToArray();
        _partsDone = new bool[parts];
        for (var k = 0; k < parts; k++)
        {
            var (start, count) = Batches.Piece(indices.Length, parts, k);
            _busy.Add(_stepParts[k]!);
            _stepParts[k]!.Tell(new ComputeGradients(_setup.RunId, step, _attempt, k, parts, indices.Slice(start, count).ToArray()));
        }
    }

    /// <summary>Replicas that joined since the last step start now, with the current
    /// parameters (they may have been built from older ones).</summary>
    private void AdmitJoiningReplicas()
    {
        if (_joining.Count == 0) return;
        // Joiners line up by worker name, not by who answered first: the order of parts is
        // the order of summation, and a run must repeat bit for bit.
        foreach (var (worker, r) in _joining.OrderBy(j => j.Worker, StringComparer.Ordinal))
        {
            PersistAsync(new WorkerJoined(_setup.RunId, worker, _step, Now()), _ => { });
            for (var l = 0; l < _parameters.Length; l++)
                r.Tell(new ParametersUpdated<T>(_setup.RunId, _async ? _layerVersions[l] : _step, l, _parameters[l]));
            _replicas.Add(r);
            if (_async) _clocks[r] = _clocks.Count == 0 ? 0 : _clocks.Values.Min();
        }
        _joining.Clear();
        UseReplicas();
    }

    private void UseReplicas()
    {
        var use = new UseReplicas(_setup.RunId, _replicas.ToArray());
        foreach (var s in _shards) s.Tell(use);
    }

    private void HandleApplied(ShardStepApplied<T> m)
    {
        if (m.RunId == _setup.RunId && _async)
        {
            _parameters[m.Layer] = m.Parameters;
            _layerVersions[m.Layer]++; // one update per message, in the shard's order
            Dispatch();
            return;
        }
        if (m.RunId != _setup.RunId || m.Step != _step) return;
        _parameters[m.Layer] = m.Parameters;
        _averageGradients[m.Layer] = m.AverageGradient;
        _applied++;
        TryCommit();
    }

    private void HandlePartLoss(PartLossComputed m)
    {
        if (_async)
        {
            HandleAsyncPart(m);
            return;
        }
        if (m.RunId != _setup.RunId || !_stepInProgress || m.Step != _step || (uint)m.Part >= (uint)_partsDone.Length || _partsDone[m.Part]) return;
        if (!double.IsFinite(m.LossSum))
        {
            Fail(_step, $"the loss is {m.LossSum} at step {_step} (layer {_shards.Length - 1}, the output layer, part {m.Part})");
            return;
        }
        _partsDone[m.Part] = true;
        _busy.Remove(Sender);
        _stepTotals = _stepTotals.Add(m.Rows, m.LossSum, m.Correct);
        AssignLostParts();
        TryCommit();
    }

    /// <summary>Asynchronous: hands out batches to every replica that has none and is at most
    /// MaxStaleness steps ahead of the slowest, as long as at most MaxStaleness of the gradients
    /// computed so far wait to be applied: the shards apply them one at a time, and replicas
    /// that ran ahead of them would compute on ever older parameters.</summary>
    private void Dispatch()
    {
        AdmitJoiningReplicas();
        if (_stopRequested || _end is not null) return;
        if (_batchesDone - _layerVersions.Min() > _setup.Spec.Sync.MaxStaleness) return; // HandleApplied dispatches again
        if (_nextBatch == 0) _epochClock.Restart(); // waiting for workers is not training time
        var slowest = _clocks.Count == 0 ? 0 : _clocks.Values.Min();
        foreach (var r in _replicas)
        {
            if (_assigned.ContainsKey(r) || _clocks[r] - slowest > _setup.Spec.Sync.MaxStaleness) continue;
            long batch;
            if (_retry.Count > 0) batch = _retry.Dequeue();
            else if (_nextBatch < _schedule.TotalSteps) batch = _nextBatch++;
            else break;
            _assigned[r] = batch;
            r.Tell(new ComputeGradients(_setup.RunId, batch, 0, 0, 1, _schedule.Indices(batch).ToArray()));
        }
    }

    private void HandleAsyncPart(PartLossComputed m)
    {
        if (m.RunId != _setup.RunId || !_assigned.Remove(Sender, out var batch) || batch != m.Step) return;
        _clocks[Sender]++;
        _batchesDone++;
        _epochTotals = _epochTotals.Add(m.Rows, m.LossSum, m.Correct);
        var (epoch, position) = _schedule.Locate(batch);
        _setup.Listener.Tell(new StepCompleted(_setup.RunId, batch, epoch + 1, position + 1, _schedule.StepsPerEpoch, m.Rows, m.LossSum / m.Rows, m.Correct, _replicas.Count));
        _batchesDoneInEpoch[epoch] = _batchesDoneInEpoch.GetValueOrDefault(epoch) + 1;
        // Epochs end in order: an epoch is over when all its batches are done and the one before it was.
        while (_batchesDoneInEpoch.GetValueOrDefault(_epochs.Count) == _schedule.StepsPerEpoch) CompleteEpoch(_epochs.Count + 1);
        if (_batchesDone >= _schedule.TotalSteps || (_stopRequested && _assigned.Count == 0))
        {
            Finish(_batchesDone >= _schedule.TotalSteps ? RunOutcome.Completed : RunOutcome.Cancelled, _batchesDone);
            return;
        }
        Dispatch();
    }

    /// <summary>Ends the run as failed. Its checkpoints stay: the last one is the last good state.</summary>
    private void Fail(long step, string reason)
    {
        if (_end is not null) return;
        _log.Error("Run {RunId} failed at step {Step}: {Reason}", _setup.RunId, step, reason);
        _end = (RunEnd.Failed, step, reason);
        TryEnd();
    }

    private void Finish(RunOutcome outcome, long steps)
    {
        if (_end is not null) return;
        _log.Info("Run {RunId} {Outcome} after {Steps} steps", _setup.RunId, outcome, steps);
        _end = (outcome == RunOutcome.Completed ? RunEnd.Completed : RunEnd.Cancelled, steps, "");
        TryEnd();
    }

    /// <summary>Journals the run's end and tells the listener, once every checkpoint save and
    /// retention's deletions are done: the process may exit as soon as the run says it has
    /// ended, and its last checkpoint (its final weights, or its last good state) must be stored by then.</summary>
    private void TryEnd()
    {
        if (_end is not { } end || _ending || _saving.Count > 0 || _pendingDeletes > 0) return;
        _ending = true;
        Persist(new RunEnded(_setup.RunId, end.Outcome, end.Step, end.Reason, Now()), _ =>
        {
            _setup.Listener.Tell(end.Outcome == RunEnd.Failed
                ? new RunFailed(_setup.RunId, end.Step, end.Reason)
                : new RunCompleted(_setup.RunId, end.Outcome == RunEnd.Completed ? RunOutcome.Completed : RunOutcome.Cancelled,
                    end.Step, _epochs.ToArray(), ToDouble(_parameters)));
            Context.Stop(Self);
        });
    }

    /// <summary>Self → self: a shard failed with an exception (see SupervisorStrategy).</summary>
    private sealed record ChildFailed(string Reason);

    private void TryCommit()
    {
        if (_end is not null) return;
        if (!_stepInProgress || _applied < _shards.Length || _partsDone.Any(done => !done)) return;
        _stepInProgress = false;
        var (epoch, position) = _schedule.Locate(_step);
        var listener = _setup.Listener;
        listener.Tell(new StepCompleted(_setup.RunId, _step, epoch + 1, position + 1, _schedule.StepsPerEpoch,
            _stepTotals.Rows, _stepTotals.LossSum / _stepTotals.Rows, (int)_stepTotals.Correct, _stepParts.Length));
        if (_setup.Trace)
            listener.Tell(new StepTraced(_setup.RunId, _step, ToDouble(_averageGradients), ToDouble(_parameters)));
        _epochTotals = _epochTotals.Add(_stepTotals.Rows, _stepTotals.LossSum, _stepTotals.Correct);

        var endsEpoch = _schedule.EndsEpoch(_step);
        if (endsEpoch) CompleteEpoch(epoch + 1);
        var applied = _step + 1;
        var last = applied >= _schedule.TotalSteps || _stopRequested;
        var (every, seconds) = (_setup.Spec.Checkpoint.EverySteps, _setup.Spec.Checkpoint.EverySeconds);
        if (last || endsEpoch || (every > 0 && applied % every == 0) || (seconds > 0 && _sinceCheckpoint.Elapsed.TotalSeconds >= seconds))
        {
            _sinceCheckpoint.Restart();
            // Between steps every shard is idle: their states together are one consistent checkpoint.
            _captured = new ShardCaptured<T>?[_shards.Length];
            _capturedCount = 0;
            _checkpointing = true;
            _pauseClock.Restart();
            foreach (var s in _shards) s.Tell(new CaptureShard(_setup.RunId));
            return; // HandleCaptured goes on
        }
        StartStep(applied);
    }

    private void HandleCaptured(ShardCaptured<T> m)
    {
        if (m.RunId != _setup.RunId || (uint)m.Layer >= (uint)_captured.Length || _captured[m.Layer] is not null) return;
        _captured[m.Layer] = m;
        if (++_capturedCount < _captured.Length) return;
        var applied = _step + 1;
        var parts = _captured.Select(c => c!).ToArray();
        var lastEpoch = _epochs.Count > 0 && _schedule.EndsEpoch(_step) ? _epochs[^1] : null;
        var taken = new CheckpointTaken(_setup.RunId, applied, _epochs.Count, Now(),
            lastEpoch?.TrainLoss ?? _epochTotals.LossSum / Math.Max(_epochTotals.Rows, 1), lastEpoch?.TestLoss ?? double.NaN, lastEpoch?.TestAccuracy ?? double.NaN);
        var clock = _pauseClock;
        Persist(taken, e =>
        {
            _checkpointing = false;
            _checkpoints.Add(new CheckpointRecord(LastSequenceNr, e.Step, e.TestAccuracy));
            var checkpoint = new Checkpoint<T>(_setup.RunId, applied, (long)_setup.Spec.Seed, _epochTotals.Rows, _epochTotals.LossSum, _epochTotals.Correct,
                _epochs.ToArray(), _checkpoints.ToArray(),
                parts.Select(p => p.Parameters).ToArray(), parts.Select(p => p.FirstMoment).ToArray(), parts.Select(p => p.SecondMoment).ToArray());
            SaveSnapshot(checkpoint);
            _saving[LastSequenceNr] = (applied, clock.Elapsed.TotalMilliseconds, Stopwatch.StartNew());
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
        if (_saving.Remove(m.Metadata.SequenceNr, out var save))
        {
            var saveMs = save.Clock.Elapsed.TotalMilliseconds;
            _log.Info("Run {RunId}: checkpoint after step {Step} saved ({SequenceNr}); training paused {PauseMs:F1} ms for it, the store took {SaveMs:F0} ms more",
                [_setup.RunId, save.Step, m.Metadata.SequenceNr, save.PauseMs, saveMs]);
            _setup.Listener.Tell(new CheckpointSaved(_setup.RunId, save.Step, save.PauseMs, saveMs));
        }
        ApplyRetention();
        TryEnd();
    }

    private void HandleSnapshotFailed(SaveSnapshotFailure m)
    {
        // Training goes on; the checkpoints before this one are still there.
        _log.Error(m.Cause, "Run {RunId}: checkpoint {SequenceNr} could not be saved", _setup.RunId, m.Metadata.SequenceNr);
        _saving.Remove(m.Metadata.SequenceNr);
        _checkpoints.RemoveAll(c => c.SequenceNr == m.Metadata.SequenceNr);
        TryEnd();
    }

    private void SnapshotDeleted()
    {
        _pendingDeletes--;
        TryEnd();
    }

    /// <summary>Deletes the checkpoints <see cref="CheckpointRetention"/> gives up. Only saves the
    /// store has confirmed count or are deleted: saves may complete out of order, and a deletion
    /// must not overtake its save.</summary>
    private void ApplyRetention()
    {
        var confirmed = _checkpoints.Where(c => !_saving.ContainsKey(c.SequenceNr)).ToArray();
        foreach (var old in CheckpointRetention.ToDelete(confirmed, _setup.Spec.Checkpoint.Keep))
        {
            DeleteSnapshot(old.SequenceNr);
            _pendingDeletes++;
            _checkpoints.Remove(old);
        }
    }

    private void CompleteEpoch(int epoch)
    {
        var seconds = _epochClock.Elapsed.TotalSeconds;
        var (testLoss, testAccuracy) = Inference.Evaluate<T>(_setup.Layout, _parameters, _setup.Spec.Loss, _setup.Data.Test);
        var e = new EpochCompleted(_setup.RunId, epoch, _epochTotals.LossSum / _epochTotals.Rows, (double)_epochTotals.Correct / _epochTotals.Rows,
            testLoss, testAccuracy, _epochTotals.Rows / Math.Max(seconds, 1e-9));
        _epochs.Add(e);
        _log.Info("Run {RunId} epoch {Epoch}: train loss {TrainLoss:G6}, test loss {TestLoss:G6}, test accuracy {TestAccuracy:P2}, {SamplesPerSecond:F0} samples/s",
            [_setup.RunId, epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy, e.SamplesPerSecond]);
        _setup.Listener.Tell(e);
        PersistAsync(e, _ => { });
        _epochTotals = default;
        _epochClock.Restart();
    }

    private static double[][] ToDouble(T[][] arrays) =>
        arrays.Select(a => a is null ? [] : a.Select(double.CreateChecked).ToArray()).ToArray();

    private readonly record struct StepTotals(int Rows, double LossSum, long Correct)
    {
        public StepTotals Add(int rows, double lossSum, long correct) => new(Rows + rows, LossSum + lossSum, Correct + correct);
    }
}

using System.Diagnostics;
using System.Numerics;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;

namespace ActorNet.Actors;

/// <summary>Everything a run actor starts from.</summary>
/// <param name="Workers">worker actors to ask for replicas at the start (more may come with <see cref="AddWorker"/>)</param>
/// <param name="BaseDirectory">folder relative data paths in the spec start from</param>
/// <param name="Trace">also send <see cref="StepTraced"/> after every step</param>
/// <param name="MinWorkers">replicas the first step waits for (so that a run repeats exactly, it always starts on as many)</param>
/// <param name="FixedWorkers">the workers given are all there will be (local mode): the first step starts once
/// each has answered, and the run fails if all refuse. Otherwise (a cluster) the run waits for MinWorkers.</param>
public sealed record RunSetup<T>(Guid RunId, RunSpec Spec, string? BaseDirectory, ModelLayout Layout, DataCache.Entry Data, T[][] InitialParameters,
    IReadOnlyList<IActorRef> Workers, bool Trace, IActorRef Listener, bool FixedWorkers = true, int MinWorkers = 1);

/// <summary>
/// One training run: owns the schedule and the parameter shards, asks workers for model
/// replicas, starts each step by giving every replica its contiguous slice of the global
/// batch (in a stable order: the order replicas joined), and commits the step once every
/// shard has applied it and every replica has reported its loss. A replica that joins
/// takes part from the next step, with the current parameters; one that is lost mid-step
/// costs that step a new attempt without it. Tells the listener about steps, epochs (with
/// test metrics) and the end of the run.
/// </summary>
public sealed class TrainingRunActor<T> : ReceiveActor where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Props Props(RunSetup<T> setup) => Akka.Actor.Props.Create(() => new TrainingRunActor<T>(setup));

    private readonly RunSetup<T> _setup;
    private readonly RunSchedule _schedule;
    private readonly IActorRef[] _shards;
    private readonly List<IActorRef> _replicas = [];
    private readonly List<(string Worker, IActorRef Replica)> _joining = [];
    private readonly T[][] _parameters;
    private readonly T[][] _averageGradients;
    private readonly List<EpochCompleted> _epochs = [];
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

    public TrainingRunActor(RunSetup<T> setup)
    {
        _setup = setup;
        var spec = setup.Spec;
        _specJson = RunSpecWriter.ToJson(spec);
        _schedule = new RunSchedule(setup.Data.Train.Count, spec.BatchSize, spec.Epochs, spec.Seed);
        var layers = setup.Layout.Layers;
        _parameters = (T[][])setup.InitialParameters.Clone();
        _averageGradients = new T[layers.Count][];
        _shards = new IActorRef[layers.Count];
        _async = spec.Sync.Mode == SyncMode.Asynchronous;
        _layerVersions = new long[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var shard = new ParameterShard<T>(i, layers[i], setup.InitialParameters[i], spec.Optimizer, spec.TrainBiases);
            _shards[i] = Context.ActorOf(ParameterShardActor<T>.Props(setup.RunId, shard, Self, immediate: _async), $"shard-{i}");
        }

        Receive<AddWorker>(m => AskForReplica(m.Worker));
        Receive<ReplicaStarted>(HandleReplicaStarted);
        Receive<ReplicaRefused>(HandleReplicaRefused);
        Receive<Terminated>(HandleTerminated);
        Receive<ShardStepApplied<T>>(HandleApplied);
        Receive<PartLossComputed>(HandlePartLoss);
        Receive<ShardStepFailed>(m => Fail(m.Step, m.Reason));
        Receive<ChildFailed>(m => Fail(_step, m.Reason));
        Receive<StopRun>(m => _stopRequested |= m.RunId == setup.RunId);
    }

    /// <summary>An exception in a shard ends the run as failed: a restarted shard would have
    /// lost its parameters or its part of the step, and guessing would break exactness.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "Run {RunId}: an actor failed at step {Step}", _setup.RunId, _step);
        Self.Tell(new ChildFailed($"{e.GetType().Name}: {e.Message}"));
        return Directive.Stop;
    });

    protected override void PreStart()
    {
        _log.Info("Run {RunId} ({Name}): {Parameters} parameters, {TrainSamples} training samples, {Steps} steps",
            [_setup.RunId, _setup.Spec.Name, _setup.Layout.ParameterCount, _setup.Data.Train.Count, _schedule.TotalSteps]);
        foreach (var w in _setup.Workers) AskForReplica(w);
        _epochClock.Start();
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
        if (!_stepInProgress && (_step > 0 || EnoughToStart())) StartStep(_step);
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
        else if (!_stepInProgress && _step == 0 && _joining.Count > 0 && EnoughToStart())
            StartStep(0); // the workers still to answer have all refused: start with those that did not
    }

    /// <summary>The first step waits for MinWorkers replicas (so that a run repeats exactly, it
    /// always starts on as many); with a fixed set of workers, for as many as did not refuse.</summary>
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
        if (_step != step) _attempt = 0;
        if (step == 0 && !_stepInProgress) _epochClock.Restart(); // waiting for workers is not training time
        _step = step;
        AdmitJoiningReplicas();
        if (_replicas.Count == 0)
        {
            _stepInProgress = false; // wait for a replica (HandleReplicaStarted starts the step)
            return;
        }
        _stepInProgress = true;
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
        foreach (var (_, r) in _joining.OrderBy(j => j.Worker, StringComparer.Ordinal))
        {
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
        _partsDone[m.Part] = true;
        _busy.Remove(Sender);
        _stepTotals = _stepTotals.Add(m.Rows, m.LossSum, m.Correct);
        AssignLostParts();
        TryCommit();
    }

    /// <summary>Asynchronous: hands out batches to every replica that has none and is at most
    /// MaxStaleness steps ahead of the slowest.</summary>
    private void Dispatch()
    {
        AdmitJoiningReplicas();
        if (_stopRequested) return;
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
            var outcome = _batchesDone >= _schedule.TotalSteps ? RunOutcome.Completed : RunOutcome.Cancelled;
            _log.Info("Run {RunId} {Outcome} after {Steps} asynchronous steps", _setup.RunId, outcome, _batchesDone);
            _setup.Listener.Tell(new RunCompleted(_setup.RunId, outcome, _batchesDone, _epochs.ToArray(), ToDouble(_parameters)));
            Context.Stop(Self);
            return;
        }
        Dispatch();
    }

    private void Fail(long step, string reason)
    {
        _log.Error("Run {RunId} failed at step {Step}: {Reason}", _setup.RunId, step, reason);
        _setup.Listener.Tell(new RunFailed(_setup.RunId, step, reason));
        Context.Stop(Self);
    }

    /// <summary>Self → self: a shard failed with an exception (see SupervisorStrategy).</summary>
    private sealed record ChildFailed(string Reason);

    private void TryCommit()
    {
        if (!_stepInProgress || _applied < _shards.Length || _partsDone.Any(done => !done)) return;
        _stepInProgress = false;
        var (epoch, position) = _schedule.Locate(_step);
        var listener = _setup.Listener;
        listener.Tell(new StepCompleted(_setup.RunId, _step, epoch + 1, position + 1, _schedule.StepsPerEpoch,
            _stepTotals.Rows, _stepTotals.LossSum / _stepTotals.Rows, (int)_stepTotals.Correct, _stepParts.Length));
        if (_setup.Trace)
            listener.Tell(new StepTraced(_setup.RunId, _step, ToDouble(_averageGradients), ToDouble(_parameters)));
        _epochTotals = _epochTotals.Add(_stepTotals.Rows, _stepTotals.LossSum, _stepTotals.Correct);

        if (_schedule.EndsEpoch(_step)) CompleteEpoch(epoch + 1);
        var done = _step + 1 >= _schedule.TotalSteps;
        if (done || _stopRequested)
        {
            var outcome = done ? RunOutcome.Completed : RunOutcome.Cancelled;
            _log.Info("Run {RunId} {Outcome} after {Steps} steps", _setup.RunId, outcome, _step + 1);
            listener.Tell(new RunCompleted(_setup.RunId, outcome, _step + 1, _epochs.ToArray(), ToDouble(_parameters)));
            Context.Stop(Self);
            return;
        }
        StartStep(_step + 1);
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

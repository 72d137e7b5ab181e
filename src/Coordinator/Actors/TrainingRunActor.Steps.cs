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

// Replicas joining and leaving, synchronous steps, and the checkpoints taken between them.
public sealed partial class TrainingRunActor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
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
        _stepper.MoveTo(step); // first: joiners get the parameters of this step (version = step)
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
        if (_phase != RunPhase.Stepping) Become(Stepping); // step after step: the handlers are already these
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
        if (_capturedCount < _captured.Length || !_evaluations.Idle) return;
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
}

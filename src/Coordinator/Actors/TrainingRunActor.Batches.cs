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

// Asynchronous batches, the evaluation of ended epochs, and the run's end.
public sealed partial class TrainingRunActor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
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
        _evaluations.Add(trained, parameters);
        EvaluateNext();
    }

    private void EvaluateNext()
    {
        if (!_evaluations.TryStartNext(out var trained, out var parameters)) return;
        var (layout, loss, test, epoch) = (_setup.Layout, _setup.Spec.Loss, _setup.Data.Test, trained.Epoch);
        Task.Run(() => Inference.Evaluate<T>(layout, parameters, loss, test)).PipeTo(Self,
            success: r => new EpochEvaluated(epoch, r.Loss, r.Accuracy),
            failure: e => new EvaluationFailed(epoch, e.GetBaseException().Message));
    }

    private void Evaluated(EpochEvaluated m)
    {
        if (_evaluations.Done(m.Epoch) is not { } trained) return;
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
        _evaluations.DropWaiting(); // a failed run's later epochs are not reported
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
        if (_end is not { } end || _ending || !_checkpoints.Idle || !_evaluations.Idle) return;
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

    private static double[][] ToDouble(T[][] arrays) => RunRecovery<T>.ToDouble(arrays);

    /// <summary>Self → self: a shard failed with an exception (see SupervisorStrategy).</summary>
    private sealed record ChildFailed(string Reason);

    /// <summary>Thread pool → self: an epoch's test figures.</summary>
    private sealed record EpochEvaluated(int Epoch, double TestLoss, double TestAccuracy);

    private sealed record EvaluationFailed(int Epoch, string Reason);
}

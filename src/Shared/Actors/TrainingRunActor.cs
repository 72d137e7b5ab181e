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
/// <param name="Workers">model replicas that share each step (data parallelism)</param>
/// <param name="Trace">also send <see cref="StepTraced"/> after every step</param>
public sealed record RunSetup<T>(Guid RunId, RunSpec Spec, ModelLayout Layout, DataSet Train, DataSet Test, T[][] InitialParameters,
    int Workers, bool Trace, IActorRef Listener);

/// <summary>
/// One training run: owns the schedule, starts each step by giving every replica its
/// contiguous slice of the global batch, and commits the step once every parameter shard
/// has applied it and every replica has reported its loss. Tells the listener about steps,
/// epochs (with test metrics) and the end of the run.
/// </summary>
public sealed class TrainingRunActor<T> : ReceiveActor where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Props Props(RunSetup<T> setup) => Akka.Actor.Props.Create(() => new TrainingRunActor<T>(setup));

    private readonly RunSetup<T> _setup;
    private readonly RunSchedule _schedule;
    private readonly IActorRef[] _shards;
    private readonly IActorRef[] _replicas;
    private readonly T[][] _parameters;
    private readonly T[][] _averageGradients;
    private readonly List<EpochCompleted> _epochs = [];
    private readonly Stopwatch _epochClock = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _step;
    private int _parts;
    private int _applied;
    private int _reported;
    private StepTotals _stepTotals;
    private StepTotals _epochTotals;
    private bool _stopRequested;

    public TrainingRunActor(RunSetup<T> setup)
    {
        _setup = setup;
        var spec = setup.Spec;
        _schedule = new RunSchedule(setup.Train.Count, spec.BatchSize, spec.Epochs, spec.Seed);
        var layers = setup.Layout.Layers;
        _parameters = setup.InitialParameters;
        _averageGradients = new T[layers.Count][];
        _shards = new IActorRef[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var shard = new ParameterShard<T>(i, layers[i], setup.InitialParameters[i], spec.Optimizer, spec.TrainBiases);
            _shards[i] = Context.ActorOf(ParameterShardActor<T>.Props(setup.RunId, shard, Self), $"shard-{i}");
        }
        _replicas = new IActorRef[setup.Workers];
        for (var k = 0; k < setup.Workers; k++)
            _replicas[k] = Context.ActorOf(ReplicaActor<T>.Props(setup.RunId, setup.Layout, spec.Loss, spec.MicroBatches, setup.Train, setup.InitialParameters, _shards), $"replica-{k}");
        var use = new UseReplicas(setup.RunId, _replicas);
        foreach (var s in _shards) s.Tell(use);

        Receive<ShardStepApplied<T>>(HandleApplied);
        Receive<PartLossComputed>(HandlePartLoss);
        Receive<ShardStepFailed>(HandleFailed);
        Receive<StopRun>(m => _stopRequested |= m.RunId == setup.RunId);
    }

    /// <summary>Any exception in a shard, replica, layer or group ends the run as failed: a
    /// restarted actor would have lost its part of the step, and guessing would break exactness.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "Run {RunId}: an actor failed at step {Step}", _setup.RunId, _step);
        Self.Tell(new ShardStepFailed(_setup.RunId, _step, -1, $"{e.GetType().Name}: {e.Message}"));
        return Directive.Stop;
    });

    protected override void PreStart()
    {
        _log.Info("Run {RunId} ({Name}): {Parameters} parameters, {TrainSamples} training samples, {Steps} steps on {Replicas} replica(s)",
            [_setup.RunId, _setup.Spec.Name, _setup.Layout.ParameterCount, _setup.Train.Count, _schedule.TotalSteps, _setup.Workers]);
        _epochClock.Start();
        StartStep(0);
    }

    private void StartStep(long step)
    {
        _step = step;
        _applied = 0;
        _reported = 0;
        _stepTotals = default;
        var indices = _schedule.Indices(step);
        _parts = Math.Min(_replicas.Length, indices.Length);
        for (var k = 0; k < _parts; k++)
        {
            var (start, count) = Batches.Piece(indices.Length, _parts, k);
            _replicas[k].Tell(new ComputeGradients(_setup.RunId, step, k, _parts, indices.Slice(start, count).ToArray()));
        }
    }

    private void HandleApplied(ShardStepApplied<T> m)
    {
        if (m.RunId != _setup.RunId || m.Step != _step) return;
        _parameters[m.Layer] = m.Parameters;
        _averageGradients[m.Layer] = m.AverageGradient;
        _applied++;
        TryCommit();
    }

    private void HandlePartLoss(PartLossComputed m)
    {
        if (m.RunId != _setup.RunId || m.Step != _step) return;
        _stepTotals = _stepTotals.Add(m.Rows, m.LossSum, m.Correct);
        _reported++;
        TryCommit();
    }

    private void HandleFailed(ShardStepFailed m)
    {
        _log.Error("Run {RunId} failed at step {Step}: {Reason}", _setup.RunId, m.Step, m.Reason);
        _setup.Listener.Tell(new RunFailed(_setup.RunId, m.Step, m.Reason));
        Context.Stop(Self);
    }

    private void TryCommit()
    {
        if (_applied < _shards.Length || _reported < _parts) return;
        var (epoch, position) = _schedule.Locate(_step);
        var listener = _setup.Listener;
        listener.Tell(new StepCompleted(_setup.RunId, _step, epoch + 1, position + 1, _schedule.StepsPerEpoch,
            _stepTotals.Rows, _stepTotals.LossSum / _stepTotals.Rows, (int)_stepTotals.Correct));
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
        var (testLoss, testAccuracy) = Inference.Evaluate<T>(_setup.Layout, _parameters, _setup.Spec.Loss, _setup.Test);
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

using System.Numerics;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;

namespace ActorNet.Actors;

/// <summary>
/// One model replica: the chain of layer actors. It loads the rows of each step's slice
/// from its own copy of the data (only indices travel), cuts them into micro-batches that
/// follow each other through the chain, reports the slice's loss to whoever asked, and
/// hands each layer's new parameters from its shard to that layer.
/// </summary>
public sealed class ReplicaActor<T> : ReceiveActor where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Props Props(Guid runId, ModelLayout layout, Loss loss, int microBatches, DataSet train, T[][] parameters, long version, bool gated, IReadOnlyList<IActorRef> shards) =>
        Akka.Actor.Props.Create(() => new ReplicaActor<T>(runId, layout, loss, microBatches, train, parameters, version, gated, shards));

    private readonly Guid _runId;
    private readonly int _outputs;
    private readonly int _microBatches;
    private readonly DataSet _train;
    private readonly IActorRef[] _layers;
    private readonly BatchSlots<T> _batches = new();
    private readonly long _bytesAtStart = Serialization.ActorNetSerializer.BytesWritten;
    private const int WarmUpSteps = 50;
    private long _allocatedAtWarm;
    private readonly int[] _collectionsAtWarm = new int[3];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _steps;
    private StepInProgress? _step;

    public ReplicaActor(Guid runId, ModelLayout layout, Loss loss, int microBatches, DataSet train, T[][] parameters, long version, bool gated, IReadOnlyList<IActorRef> shards)
    {
        _runId = runId;
        _outputs = layout.Outputs;
        _microBatches = microBatches;
        _train = train;
        _layers = new IActorRef[layout.Layers.Count];
        IActorRef? next = null;
        for (var i = layout.Layers.Count - 1; i >= 0; i--)
        {
            var isLast = i == layout.Layers.Count - 1;
            next = _layers[i] = Context.ActorOf(
                LayerActor<T>.Props(runId, i, layout.Layers[i], isLast, loss, parameters[i], version, gated, next, Self, shards[i]), $"layer-{i}");
        }

        Receive<ComputeGradients>(HandleCompute);
        Receive<MicroBatchLossComputed>(HandleLoss);
        Receive<BackwardCompleted>(HandleBackwardCompleted);
        Receive<ParametersUpdated<T>>(m => _layers[m.Layer].Forward(m));
    }

    /// <summary>A failure below is the run's to judge (see TrainingRunActor).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    private void HandleCompute(ComputeGradients m)
    {
        if (m.RunId != _runId) return;
        if (_steps == WarmUpSteps && _step is null)
        {
            // What the process allocates from here on, per step, is what the benchmark reads:
            // the first steps size the buffers and fill the pools.
            _allocatedAtWarm = GC.GetTotalAllocatedBytes(precise: false);
            for (var g = 0; g < 3; g++) _collectionsAtWarm[g] = GC.CollectionCount(g);
        }
        var rows = m.Indices.Length;
        var micro = Math.Min(_microBatches, rows);
        _step = new StepInProgress(m, Sender, micro);
        for (var k = 0; k < micro; k++)
        {
            var (start, count) = Batches.Piece(rows, micro, k);
            var (x, targets, labels) = _batches.Gather(_train, m.Indices.AsSpan(start, count), _outputs, k);
            _layers[0].Tell(new ForwardBatch<T>(_runId, m.Step, m.Attempt, m.Part, m.Parts, k, micro, count, x, targets, labels));
        }
    }

    private void HandleLoss(MicroBatchLossComputed m)
    {
        if (_step is not { } s || m.RunId != _runId || m.Step != s.Request.Step || m.Attempt != s.Request.Attempt) return;
        s.LossSum += m.LossSum;
        s.Correct += m.Correct;
        s.Rows += m.Rows;
        s.Received++;
        TryReport(s);
    }

    private void HandleBackwardCompleted(BackwardCompleted m)
    {
        if (_step is not { } s || m.RunId != _runId || m.Step != s.Request.Step || m.Attempt != s.Request.Attempt) return;
        s.BackwardDone = true;
        TryReport(s);
    }

    /// <summary>The step's part is reported once its loss is known and its backward pass is over:
    /// only then may the replica be given another step.</summary>
    private void TryReport(StepInProgress s)
    {
        if (s.Received < s.MicroBatches || !s.BackwardDone) return;
        _steps++;
        s.ReplyTo.Tell(new PartLossComputed(_runId, s.Request.Step, s.Request.Attempt, s.Request.Part, s.Rows, s.LossSum, s.Correct));
        _step = null;
    }

    /// <summary>What this replica did, for the log (and the cluster benchmark, which reads it).</summary>
    protected override void PostStop() =>
        Context.GetLogger().Info("Replica of run {RunId} stopped: {Steps} steps in {Seconds:F1} s; this process sent {Bytes} bytes meanwhile, " +
                                 "and after its first {WarmUp} steps allocated {Allocated} bytes and collected generations 0, 1 and 2 {Gen0}, {Gen1} and {Gen2} times",
            [_runId, _steps, _clock.Elapsed.TotalSeconds, Serialization.ActorNetSerializer.BytesWritten - _bytesAtStart, WarmUpSteps,
             _steps > WarmUpSteps ? GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtWarm : -1,
             GC.CollectionCount(0) - _collectionsAtWarm[0], GC.CollectionCount(1) - _collectionsAtWarm[1], GC.CollectionCount(2) - _collectionsAtWarm[2]]);

    private sealed class StepInProgress(ComputeGradients request, IActorRef replyTo, int microBatches)
    {
        public ComputeGradients Request { get; } = request;
        public IActorRef ReplyTo { get; } = replyTo;
        public int MicroBatches { get; } = microBatches;
        public int Received { get; set; }
        public bool BackwardDone { get; set; }
        public int Rows { get; set; }
        public double LossSum { get; set; }
        public int Correct { get; set; }
    }
}

using System.Numerics;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;

namespace ActorNet.Actors;

/// <summary>
/// One dense layer of a model replica. Forward: hands the incoming activations to its
/// neuron groups, joins their pre-activations, applies the activation and sends the
/// result to the next layer (the last layer computes the loss instead and turns round).
/// Backward: turns the next layer's ∂E/∂a into δ, hands each group its slice, sums their
/// contributions to the previous layer's delta in group order and sends it back. After the
/// step's last micro-batch it sends the layer's gradient sum to its parameter shard.
/// </summary>
/// <remarks>A layer split into several groups has a <see cref="NeuronGroupActor{T}"/> per group;
/// a layer of one group computes it here, as the group actor would (the same
/// <see cref="NeuronGroup{T}"/>), without the four messages per micro-batch that a child would
/// cost. Micro-batches of a step follow each other through the chain, so this layer may
/// work on micro-batch m+1 forward while m is on its way back. A forward pass for step t
/// waits (stashed) until the layer holds parameters of version t. A new attempt at a step
/// (after a worker was lost) discards what the earlier attempt left in flight.</remarks>
public sealed class LayerActor<T> : ReceiveActor, IWithUnboundedStash where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <param name="gated">synchronous training: the forward pass of step t waits for parameters of
    /// version t. Asynchronous training uses whatever parameters the layer has.</param>
    public static Props Props(Guid runId, int index, LayerShape shape, bool isLast, Loss loss, T[] parameters, long version, bool gated,
        IActorRef? next, IActorRef replica, IActorRef shard) =>
        Akka.Actor.Props.Create(() => new LayerActor<T>(runId, index, shape, isLast, loss, parameters, version, gated, next, replica, shard));

    private readonly Guid _runId;
    private readonly int _index;
    private readonly bool _isLast;
    private readonly bool _gated;
    private readonly Loss _loss;
    private readonly IActorRef? _next;
    private readonly IActorRef _replica;
    private readonly IActorRef _shard;
    private readonly LayerCore<T> _core;
    private readonly NeuronGroup<T>? _group;  // the layer's only group, computed here
    private readonly IActorRef[] _groups;     // or its group actors
    private InFlight[] _slots = [];           // per micro-batch slot, reused step after step
    private readonly T[]?[] _groupSums;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private T[]? _ownParameters; // parameters this layer alone holds (read from the wire): given back when replaced
    private long _version;
    private (long Step, int Attempt) _round = (-1, 0);
    private int _backwardsStarted;
    private int _stepRows;

    public LayerActor(Guid runId, int index, LayerShape shape, bool isLast, Loss loss, T[] parameters, long version, bool gated,
        IActorRef? next, IActorRef replica, IActorRef shard)
    {
        _gated = gated;
        _runId = runId;
        _index = index;
        _isLast = isLast;
        _loss = loss;
        _version = version;
        _next = next;
        _replica = replica;
        _shard = shard;
        _core = new LayerCore<T>(shape);
        if (shape.Groups == 1)
        {
            _group = new NeuronGroup<T>(shape, 0, parameters);
            _groups = [];
        }
        else
        {
            _groups = new IActorRef[shape.Groups];
            for (var g = 0; g < shape.Groups; g++)
                _groups[g] = Context.ActorOf(NeuronGroupActor<T>.Props(shape, g, parameters), $"group-{g}");
        }
        _groupSums = new T[shape.Groups][];

        Receive<ForwardBatch<T>>(HandleForward);
        Receive<GroupOutputsComputed<T>>(r => Outputs(r.Step, r.Attempt, r.MicroBatch, r.Group, r.Outputs));
        Receive<BackwardBatch<T>>(HandleBackward);
        Receive<GroupGradientsComputed<T>>(r => Gradients(r.Step, r.Attempt, r.MicroBatch, r.Group, r.InputDelta, r.GradientSum));
        Receive<ParametersUpdated<T>>(HandleParameters);
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>A failure below is the run's to judge (see TrainingRunActor).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    private void HandleForward(ForwardBatch<T> m)
    {
        // A part of step t computed again after its replica was lost may find this layer one
        // version on (its shard had the lost part already); anything older is stale.
        if (m.RunId != _runId || (_gated && m.Step + 1 < _version) || (m.Step, m.Attempt).CompareTo(_round) < 0)
        {
            _log.Warning("Layer {Layer}: dropped forward of run {RunId} step {Step} attempt {Attempt} (at version {Version})",
                _index, m.RunId, m.Step, m.Attempt, _version);
            return;
        }
        if (_gated && m.Step > _version)
        {
            Stash.Stash(); // parameters of version m.Step are on their way
            return;
        }
        if ((m.Step, m.Attempt) != _round) StartRound(m.Step, m.Attempt);
        if (m.MicroBatch >= _slots.Length)
        {
            var grown = _slots.Length;
            Array.Resize(ref _slots, m.MicroBatch + 1);
            for (var k = grown; k < _slots.Length; k++) _slots[k] = new InFlight(_core.Shape.Groups);
        }
        _slots[m.MicroBatch].Start(m, Sender);
        if (_group is not null)
        {
            Outputs(m.Step, m.Attempt, m.MicroBatch, 0, _group.Forward(m.MicroBatch, m.Activations, m.Rows));
            return;
        }
        var request = new ComputeGroupOutputs<T>(m.Step, m.Attempt, m.MicroBatch, m.Rows, m.Activations);
        foreach (var g in _groups) g.Tell(request);
    }

    /// <summary>Group <paramref name="group"/>'s pre-activations of a micro-batch; once every
    /// group's are in, the layer's activations go on (or, at the last layer, the loss and δ come back).</summary>
    private void Outputs(long step, int attempt, int microBatch, int group, T[] z)
    {
        if (!Current(step, attempt, microBatch, out var f) || !f.Collect(group, z)) return;
        var m = f.Forward;
        var a = _core.Activate(m.MicroBatch, _core.Join(f.Parts!, m.MicroBatch, m.Rows), m.Rows);
        if (!_isLast)
        {
            _next!.Tell(m with { Activations = a });
            return;
        }
        var (delta, lossSum, correct) = _core.Output(m.MicroBatch, _loss, m.Targets, m.Labels, m.Rows);
        _replica.Tell(new MicroBatchLossComputed(_runId, m.Step, m.Attempt, m.MicroBatch, m.Rows, lossSum, correct));
        StartBackward(f, delta);
    }

    private void HandleBackward(BackwardBatch<T> m)
    {
        if (m.RunId != _runId || !Current(m.Step, m.Attempt, m.MicroBatch, out var f))
        {
            _log.Warning("Layer {Layer}: dropped backward of run {RunId} step {Step} attempt {Attempt}", _index, m.RunId, m.Step, m.Attempt);
            return;
        }
        StartBackward(f, _core.Delta(m.MicroBatch, m.OutputGradient, m.Rows));
    }

    private void StartBackward(InFlight f, T[] delta)
    {
        var m = f.Forward;
        f.Restart();
        _stepRows += m.Rows;
        // Each layer sees micro-batches come back in the order they went forward, so the
        // M-th to start backward is the step's last.
        var last = f.LastOfStep = ++_backwardsStarted == m.MicroBatches;
        if (_group is not null)
        {
            var dx = _group.Backward(m.MicroBatch, delta, m.Rows, _index > 0);
            Gradients(m.Step, m.Attempt, m.MicroBatch, 0, dx, last ? _group.TakeGradients() : null);
            return;
        }
        for (var g = 0; g < _groups.Length; g++)
            _groups[g].Tell(new ComputeGroupGradients<T>(m.Step, m.Attempt, m.MicroBatch, m.Rows, _core.Slice(delta, g, m.MicroBatch, m.Rows), _index > 0, last));
    }

    /// <summary>Group <paramref name="group"/>'s part of the previous layer's delta for a
    /// micro-batch (and, on the step's last, its gradient sum); once every group's is in, the
    /// delta goes back, and after the step's last micro-batch the gradient goes to the shard.</summary>
    private void Gradients(long step, int attempt, int microBatch, int group, T[]? inputDelta, T[]? gradientSum)
    {
        if (!Current(step, attempt, microBatch, out var f))
        {
            BufferPool<T>.Return(gradientSum); // an abandoned attempt's
            return;
        }
        if (gradientSum is not null) _groupSums[group] = gradientSum;
        if (!f.Collect(group, inputDelta)) return;
        var m = f.Forward;
        f.Active = false;
        if (_index > 0)
            f.Previous.Tell(new BackwardBatch<T>(_runId, m.Step, m.Attempt, m.MicroBatch, m.Rows, _core.SumInOrder(f.Parts!, m.MicroBatch, m.Rows)));
        // Groups answer in order, so when the step's last micro-batch is complete every
        // group has sent its gradient sum (an earlier micro-batch may complete after group 0's sum is in).
        if (f.LastOfStep) SendGradients(m);
    }

    private void SendGradients(ForwardBatch<T> m)
    {
        // The sum now belongs to the shard, which gives it back to the pool once applied.
        var gradient = _core.GatherGradients(_groupSums!);
        _shard.Tell(new LayerGradientsComputed<T>(_runId, m.Step, m.Attempt, _index, m.Part, m.Parts, _stepRows, gradient));
        if (_index == 0) _replica.Tell(new BackwardCompleted(_runId, m.Step, m.Attempt)); // the last layer to finish
        Array.Clear(_groupSums);
        _backwardsStarted = 0;
        _stepRows = 0;
    }

    private void HandleParameters(ParametersUpdated<T> m)
    {
        if (m.RunId != _runId || m.Version <= _version) return;
        _version = m.Version;
        if (_group is not null) _group.SetParameters(m.Parameters);
        else
        {
            var use = new UseParameters<T>(m.Version, m.Parameters);
            foreach (var g in _groups) g.Tell(use);
        }
        // Parameters read from the wire are this layer's alone: the previous ones go back to the
        // pool (the groups take the new ones before any work that would read the old).
        BufferPool<T>.Return(_ownParameters);
        _ownParameters = m.OwnedByReceiver ? m.Parameters : null;
        Stash.UnstashAll();
    }

    /// <summary>A new step, or a new attempt at one: nothing of an earlier one survives.</summary>
    private void StartRound(long step, int attempt)
    {
        _round = (step, attempt);
        foreach (var slot in _slots) slot.Active = false;
        _core.Reset();
        _group?.Reset();
        foreach (var sum in _groupSums) BufferPool<T>.Return(sum);
        Array.Clear(_groupSums);
        _backwardsStarted = 0;
        _stepRows = 0;
    }

    private bool Current(long step, int attempt, int microBatch, out InFlight f)
    {
        f = null!;
        if ((step, attempt) != _round || (uint)microBatch >= (uint)_slots.Length || !_slots[microBatch].Active) return false;
        f = _slots[microBatch];
        return true;
    }

    /// <summary>A micro-batch between its forward and the end of its backward: one per slot,
    /// reused by the same micro-batch of every step.</summary>
    private sealed class InFlight(int groups)
    {
        private int _received;
        public ForwardBatch<T> Forward { get; private set; } = null!;
        public IActorRef Previous { get; private set; } = ActorRefs.Nobody;
        public T[]?[] Parts { get; } = new T[groups][];
        public bool LastOfStep { get; set; }
        public bool Active { get; set; }

        public void Start(ForwardBatch<T> forward, IActorRef previous)
        {
            (Forward, Previous, Active, LastOfStep) = (forward, previous, true, false);
            Restart();
        }

        /// <summary>Stores group g's part; true once every group's part is in.</summary>
        public bool Collect(int group, T[]? part)
        {
            Parts[group] = part;
            return ++_received == Parts.Length;
        }

        public void Restart()
        {
            Array.Clear(Parts);
            _received = 0;
        }
    }
}

using System.Numerics;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// The plain training loop: a synchronous run's arithmetic with no actors and no messages, one
/// call per step. It composes the very classes the actors are shells over (<see cref="NeuronGroup{T}"/>,
/// <see cref="LayerCore{T}"/>, <see cref="ParameterShard{T}"/>) in the order the messages of a step
/// take them, so a run through the actors gives the same weights bit for bit, whatever its neuron
/// groups, micro-batches and replicas (the replicas' parts are computed one after the other here);
/// tests hold the actors to it, and the benchmark measures what the actors cost over it.
/// </summary>
/// <remarks>Allocation-free per step (the arrays are reused; see <see cref="SlotBuffers{T}"/> and
/// <see cref="BufferPool{T}"/>). The step's samples come from <see cref="RunSchedule"/>, as in a run.</remarks>
public sealed class PlainTraining<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RunSpec _spec;
    private readonly DataSet _train;
    private readonly int _replicas;
    private readonly LayerCore<T>[] _cores;
    private readonly NeuronGroup<T>[][] _groups;
    private readonly ParameterShard<T>[] _shards;
    private readonly T[][][] _groupResults; // per layer, one result per group: a step's scratch list
    private readonly BatchSlots<T> _batches = new();

    /// <param name="parameters">per layer, [W | b] to start from (not written)</param>
    /// <param name="replicas">model replicas that share each batch, as in a run on that many workers</param>
    public PlainTraining(RunSpec spec, ModelLayout layout, DataSet train, T[][] parameters, int replicas = 1)
    {
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "a run needs at least one replica");
        if (spec.Sync.Mode != SyncMode.Synchronous) throw new ArgumentException("the plain loop is synchronous training", nameof(spec));
        _spec = spec;
        _train = train;
        _replicas = replicas;
        Layout = layout;
        Schedule = new RunSchedule(train.Count, spec.BatchSize, spec.Epochs, spec.Seed);
        var layers = layout.Layers;
        _shards = layers.Select((shape, l) => new ParameterShard<T>(l, shape, parameters[l], spec.Optimizer, spec.TrainBiases)).ToArray();
        _cores = layers.Select(shape => new LayerCore<T>(shape)).ToArray();
        _groups = layers.Select((shape, l) => Enumerable.Range(0, shape.Groups).Select(g => new NeuronGroup<T>(shape, g, _shards[l].Parameters)).ToArray()).ToArray();
        _groupResults = layers.Select(shape => new T[shape.Groups][]).ToArray();
    }

    public ModelLayout Layout { get; }
    public RunSchedule Schedule { get; }

    /// <summary>Steps applied so far: the next step to run.</summary>
    public long Step => _shards[0].Version;

    /// <summary>The current parameters of each layer (the shards' arrays: read them before the next step but one).</summary>
    public T[][] Parameters => _shards.Select(s => s.Parameters).ToArray();

    /// <summary>Runs step <see cref="Step"/>: every replica's part of the batch forward and back
    /// through the layers, micro-batch by micro-batch, then the shards' update. Returns the
    /// batch's rows, loss summed over them (before the update) and how many it got right.</summary>
    /// <exception cref="InvalidOperationException">the loss or a parameter is no longer finite</exception>
    public (int Rows, double LossSum, int Correct) TrainStep()
    {
        var step = Step;
        var indices = Schedule.Indices(step);
        var parts = Math.Min(_replicas, indices.Length);
        var (rows, lossSum, correct) = (0, 0.0, 0);
        for (var part = 0; part < parts; part++)
        {
            var (start, count) = Batches.Piece(indices.Length, parts, part);
            var (partLoss, partCorrect) = ComputePart(indices.Slice(start, count));
            if (!double.IsFinite(partLoss))
                throw new InvalidOperationException($"the loss is {partLoss} at step {step} (part {part})");
            rows += count;
            lossSum += partLoss;
            correct += partCorrect;
            for (var l = 0; l < _cores.Length; l++)
            {
                var sums = _groupResults[l];
                for (var g = 0; g < sums.Length; g++) sums[g] = _groups[l][g].TakeGradients();
                _shards[l].Add(step, part, parts, count, _cores[l].GatherGradients(sums)); // the shard owns it now
            }
        }
        for (var l = 0; l < _shards.Length; l++)
        {
            if (_shards[l].FindNonFinite() is { } bad) throw new InvalidOperationException($"layer {l}: {bad} after step {step}");
            foreach (var group in _groups[l]) group.SetParameters(_shards[l].Parameters);
        }
        return (rows, lossSum, correct);
    }

    /// <summary>One replica's slice of the batch, in micro-batches, each forward to the loss and
    /// back to the first layer; the groups keep adding their gradient sums.</summary>
    private (double LossSum, int Correct) ComputePart(ReadOnlySpan<int> indices)
    {
        var outputs = Layout.Outputs;
        var micro = Math.Min(_spec.MicroBatches, indices.Length);
        var (lossSum, correct) = (0.0, 0);
        for (var k = 0; k < micro; k++)
        {
            var (start, rows) = Batches.Piece(indices.Length, micro, k);
            var (x, targets, labels) = _batches.Gather(_train, indices.Slice(start, rows), outputs, k);

            var input = x;
            for (var l = 0; l < _cores.Length; l++)
            {
                var z = _groupResults[l];
                for (var g = 0; g < z.Length; g++) z[g] = _groups[l][g].Forward(k, input, rows);
                input = _cores[l].Activate(k, _cores[l].Join(z, k, rows), rows);
            }
            var last = _cores.Length - 1;
            var (delta, loss, right) = _cores[last].Output(k, _spec.Loss, targets, labels, rows);
            lossSum += loss;
            correct += right;
            for (var l = last; l >= 0; l--)
            {
                var dx = _groupResults[l];
                for (var g = 0; g < dx.Length; g++) dx[g] = _groups[l][g].Backward(k, _cores[l].Slice(delta, g, k, rows), rows, l > 0)!;
                if (l > 0) delta = _cores[l - 1].Delta(k, _cores[l].SumInOrder(dx, k, rows), rows);
            }
        }
        return (lossSum, correct);
    }
}

using System.Numerics;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// The part of a dense layer that needs the whole row of pre-activations: it joins the
/// groups' pre-activations, applies the activation (softmax needs every neuron of a row),
/// computes the loss and output delta at the last layer, turns ∂E/∂a into δ = ∂E/∂z, cuts
/// δ into the groups' slices, sums the groups' contributions to the previous layer's
/// delta in group order (a fixed order, so that runs repeat bit for bit), and gathers the
/// groups' gradient sums into the layer's.
/// </summary>
/// <remarks>Plain class; <see cref="Actors.LayerActor{T}"/> is its shell. Every result is written
/// into an array reused per micro-batch slot (<see cref="SlotBuffers{T}"/>; its leading rows ×
/// width elements), so a step allocates nothing.</remarks>
public sealed class LayerCore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SlotBuffers<T> _joined = new();
    private readonly SlotBuffers<T> _activations = new();
    private readonly SlotBuffers<T> _deltas = new();
    private readonly SlotBuffers<T> _inputDeltas = new();
    private readonly SlotBuffers<T>[] _slices;
    private (T[] Z, T[] A)?[] _pending = new (T[], T[])?[1];

    public LayerCore(LayerShape shape)
    {
        Shape = shape;
        _slices = shape.Groups == 1 ? [] : Enumerable.Range(0, shape.Groups).Select(_ => new SlotBuffers<T>()).ToArray();
    }

    public LayerShape Shape { get; }

    /// <summary>Joins the groups' columns.   z_g: (rows, Count_g) for g = 0..G-1 → z: (rows, Outputs)</summary>
    public T[] Join(IReadOnlyList<T[]> groupOutputs, int microBatch, int rows)
    {
        if (groupOutputs.Count == 1) return groupOutputs[0];
        var z = _joined.Get(microBatch, rows * Shape.Outputs);
        for (var g = 0; g < groupOutputs.Count; g++)
        {
            var (start, count) = Shape.GroupRange(g);
            var part = groupOutputs[g];
            for (var r = 0; r < rows; r++)
                part.AsSpan(r * count, count).CopyTo(z.AsSpan(r * Shape.Outputs + start, count));
        }
        return z;
    }

    /// <summary>a = f(z), kept with z until this micro-batch's backward.   z, a: (rows, Outputs)</summary>
    public T[] Activate(int microBatch, T[] z, int rows)
    {
        var size = rows * Shape.Outputs;
        var a = _activations.Get(microBatch, size);
        Activations.Forward<T>(Shape.Activation, a.AsSpan(0, size), z.AsSpan(0, size), rows, Shape.Outputs);
        if (microBatch >= _pending.Length) Array.Resize(ref _pending, microBatch + 1);
        _pending[microBatch] = (z, a);
        return a;
    }

    /// <summary>At the last layer: the loss summed over the micro-batch's samples, how many
    /// it classified right, and δ = ∂E/∂z per sample (not yet divided by the batch size: the
    /// parameter shard divides the summed gradient once).   targets: (rows, Outputs)</summary>
    public (T[] Delta, double LossSum, int Correct) Output(int microBatch, Loss loss, T[] targets, int[]? labels, int rows)
    {
        var (z, a) = Take(microBatch);
        var size = rows * Shape.Outputs;
        var delta = _deltas.Get(microBatch, size);
        ReadOnlySpan<T> output = a.AsSpan(0, size), target = targets.AsSpan(0, size);
        Losses.OutputDelta<T>(loss, Shape.Activation, delta.AsSpan(0, size), z.AsSpan(0, size), output, target, rows, Shape.Outputs);
        var lossSum = Losses.Sum<T>(loss, output, target, rows, Shape.Outputs);
        return (delta, lossSum, Scoring.CountCorrect<T>(output, target, labels, rows, Shape.Outputs));
    }

    /// <summary>δ = ∂E/∂a ⊙ f'(z) from the next layer's ∂E/∂a.   (rows, Outputs)</summary>
    public T[] Delta(int microBatch, T[] outputGradient, int rows)
    {
        var (z, a) = Take(microBatch);
        var size = rows * Shape.Outputs;
        var delta = _deltas.Get(microBatch, size);
        Activations.Backward<T>(Shape.Activation, delta.AsSpan(0, size), outputGradient.AsSpan(0, size), z.AsSpan(0, size), a.AsSpan(0, size),
            rows, Shape.Outputs);
        return delta;
    }

    /// <summary>Group g's columns of δ.   (rows, Outputs) → (rows, Count_g)</summary>
    public T[] Slice(T[] delta, int group, int microBatch, int rows)
    {
        if (Shape.Groups == 1) return delta;
        var (start, count) = Shape.GroupRange(group);
        var part = _slices[group].Get(microBatch, rows * count);
        for (var r = 0; r < rows; r++)
            delta.AsSpan(r * Shape.Outputs + start, count).CopyTo(part.AsSpan(r * count, count));
        return part;
    }

    /// <summary>∂E/∂x = Σ_g δ_g·W_g, added in group order.   each (rows, Inputs)</summary>
    public T[] SumInOrder(IReadOnlyList<T[]> parts, int microBatch, int rows)
    {
        if (parts.Count == 1) return parts[0];
        var size = rows * Shape.Inputs;
        var sum = _inputDeltas.Get(microBatch, size);
        var s = sum.AsSpan(0, size);
        parts[0].AsSpan(0, size).CopyTo(s);
        for (var g = 1; g < parts.Count; g++)
        {
            var p = parts[g].AsSpan(0, size);
            for (var i = 0; i < s.Length; i++) s[i] += p[i];
        }
        return sum;
    }

    /// <summary>The layer's gradient sum, [W | b], from its groups' ([W_g | b_g] each, which
    /// this takes over and returns to the pool): the caller owns the result.</summary>
    public T[] GatherGradients(IReadOnlyList<T[]> groupSums)
    {
        if (groupSums.Count == 1) return groupSums[0];
        var gradient = BufferPool<T>.Rent(Shape.ParameterCount, clear: false); // every element is written below
        for (var g = 0; g < groupSums.Count; g++)
        {
            NeuronGroup<T>.Scatter(Shape, g, groupSums[g], gradient);
            BufferPool<T>.Return(groupSums[g]);
        }
        return gradient;
    }

    /// <summary>Forgets every micro-batch in flight (a step abandoned part-way).</summary>
    public void Reset() => Array.Clear(_pending);

    private (T[] Z, T[] A) Take(int microBatch)
    {
        if (microBatch < _pending.Length && _pending[microBatch] is { } za)
        {
            _pending[microBatch] = null;
            return za;
        }
        throw new InvalidOperationException($"layer {Shape.Outputs}x{Shape.Inputs}: backward for micro-batch {microBatch} without its forward");
    }
}

/// <summary>How many samples a batch got right.</summary>
public static class Scoring
{
    /// <summary>With labels: arg-max of the output (or output ≥ ½ for a single output) equals the
    /// label. With explicit targets only: arg-max of output equals arg-max of target.
    /// output, targets: (rows, n); labels: (rows) or null.</summary>
    public static int CountCorrect<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int[]? labels, int rows, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var correct = 0;
        var half = T.CreateChecked(0.5);
        for (var r = 0; r < rows; r++)
        {
            var o = output.Slice(r * n, n);
            int predicted = n == 1 ? (o[0] >= half ? 1 : 0) : ArgMax(o);
            int expected = labels is not null ? labels[r] : n == 1 ? (targets[r] >= half ? 1 : 0) : ArgMax(targets.Slice(r * n, n));
            if (predicted == expected) correct++;
        }
        return correct;
    }

    public static int ArgMax<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}

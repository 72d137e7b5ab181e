using System.Numerics;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// The part of a dense layer that needs the whole row of pre-activations: it joins the
/// groups' pre-activations, applies the activation (softmax needs every neuron of a row),
/// computes the loss and output delta at the last layer, turns ∂E/∂a into δ = ∂E/∂z, cuts
/// δ into the groups' slices, and sums the groups' contributions to the previous layer's
/// delta in group order (a fixed order, so that runs repeat bit for bit).
/// </summary>
/// <remarks>Plain class; <see cref="Actors.LayerActor{T}"/> is its shell.</remarks>
public sealed class LayerCore<T>(LayerShape shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<int, (T[] Z, T[] A)> _pending = [];

    public LayerShape Shape { get; } = shape;

    /// <summary>Joins the groups' columns.   z_g: (rows, Count_g) for g = 0..G-1 → z: (rows, Outputs)</summary>
    public T[] Join(IReadOnlyList<T[]> groupOutputs, int rows)
    {
        if (groupOutputs.Count == 1) return groupOutputs[0];
        var z = new T[rows * Shape.Outputs];
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
        var a = new T[z.Length];
        Activations.Forward<T>(Shape.Activation, a, z, rows, Shape.Outputs);
        _pending[microBatch] = (z, a);
        return a;
    }

    /// <summary>At the last layer: the loss summed over the micro-batch's samples, how many
    /// it classified right, and δ = ∂E/∂z per sample (not yet divided by the batch size: the
    /// parameter shard divides the summed gradient once).   targets: (rows, Outputs)</summary>
    public (T[] Delta, double LossSum, int Correct) Output(int microBatch, Loss loss, T[] targets, int[]? labels, int rows)
    {
        var (z, a) = Take(microBatch);
        var delta = new T[z.Length];
        Losses.OutputDelta<T>(loss, Shape.Activation, delta, z, a, targets, rows, Shape.Outputs);
        var lossSum = Losses.Sum<T>(loss, a, targets, rows, Shape.Outputs);
        return (delta, lossSum, Scoring.CountCorrect<T>(a, targets, labels, rows, Shape.Outputs));
    }

    /// <summary>δ = ∂E/∂a ⊙ f'(z) from the next layer's ∂E/∂a.   (rows, Outputs)</summary>
    public T[] Delta(int microBatch, T[] outputGradient, int rows)
    {
        var (z, a) = Take(microBatch);
        var delta = new T[z.Length];
        Activations.Backward<T>(Shape.Activation, delta, outputGradient, z, a, rows, Shape.Outputs);
        return delta;
    }

    /// <summary>Group g's columns of δ.   (rows, Outputs) → (rows, Count_g)</summary>
    public T[] Slice(T[] delta, int group, int rows)
    {
        if (Shape.Groups == 1) return delta;
        var (start, count) = Shape.GroupRange(group);
        var part = new T[rows * count];
        for (var r = 0; r < rows; r++)
            delta.AsSpan(r * Shape.Outputs + start, count).CopyTo(part.AsSpan(r * count, count));
        return part;
    }

    /// <summary>∂E/∂x = Σ_g δ_g·W_g, added in group order.   each (rows, Inputs)</summary>
    public static T[] SumInOrder(IReadOnlyList<T[]> parts)
    {
        if (parts.Count == 1) return parts[0];
        var sum = (T[])parts[0].Clone();
        for (var g = 1; g < parts.Count; g++)
        {
            var p = parts[g];
            for (var i = 0; i < sum.Length; i++) sum[i] += p[i];
        }
        return sum;
    }

    /// <summary>Forgets every micro-batch in flight (a step abandoned part-way).</summary>
    public void Reset() => _pending.Clear();

    private (T[] Z, T[] A) Take(int microBatch) => _pending.Remove(microBatch, out var za)
        ? za
        : throw new InvalidOperationException($"layer {Shape.Outputs}x{Shape.Inputs}: backward for micro-batch {microBatch} without its forward");
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

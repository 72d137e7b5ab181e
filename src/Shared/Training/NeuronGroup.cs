using System.Numerics;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// The arithmetic of one neuron group: the neurons <c>[Start, Start + Count)</c> of a dense
/// layer, i.e. rows of W and entries of b. It computes its part of the pre-activations
/// forward, and backward its weight gradients and its contribution <c>δ_g·W_g</c> to the
/// previous layer's delta. A layer with one group is the plain dense layer.
/// </summary>
/// <remarks>
/// Plain class, no actor types: <see cref="Actors.NeuronGroupActor{T}"/> is a shell over it
/// and tests call it directly. It keeps each micro-batch's input between forward and
/// backward (the arrays are the immutable message payloads, not copies).
/// </remarks>
public sealed class NeuronGroup<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<int, T[]> _inputs = [];
    private T[] _parameters;
    private T[] _gradients;

    public NeuronGroup(LayerShape shape, int group, T[] layerParameters)
    {
        Shape = shape;
        Group = group;
        (Start, Count) = shape.GroupRange(group);
        _parameters = CheckParameters(layerParameters);
        _gradients = new T[Count * shape.Inputs + Count];
    }

    public LayerShape Shape { get; }
    public int Group { get; }
    public int Start { get; }
    public int Count { get; }

    // W_g: (Count, Inputs), rows Start.. of W; b_g: (Count)
    private ReadOnlySpan<T> W => _parameters.AsSpan(Start * Shape.Inputs, Count * Shape.Inputs);
    private ReadOnlySpan<T> B => _parameters.AsSpan(Shape.WeightCount + Start, Count);

    /// <summary>Takes the layer's new parameters (the whole layer's buffer; this group reads its rows).</summary>
    public void SetParameters(T[] layerParameters) => _parameters = CheckParameters(layerParameters);

    /// <summary>z_g = x·W_gᵀ + b_g.   x: (rows, Inputs) → z_g: (rows, Count)</summary>
    public T[] Forward(int microBatch, T[] input, int rows)
    {
        var z = new T[rows * Count];
        Dense.Forward<T>(z, input, W, B, rows, Shape.Inputs, Count);
        _inputs[microBatch] = input;
        return z;
    }

    /// <summary>Adds this micro-batch's gradients to the running sum and returns δ_g·W_g,
    /// this group's part of the previous layer's delta (or null when not wanted: the first
    /// layer has no previous layer).   δ_g: (rows, Count) → (rows, Inputs)</summary>
    public T[]? Backward(int microBatch, T[] delta, int rows, bool wantInputDelta)
    {
        if (!_inputs.Remove(microBatch, out var input))
            throw new InvalidOperationException($"group {Group}: backward for micro-batch {microBatch} without its forward");
        var wGrad = _gradients.AsSpan(0, Count * Shape.Inputs);
        var bGrad = _gradients.AsSpan(Count * Shape.Inputs, Count);
        Dense.AccumulateWeightGradients<T>(wGrad, bGrad, delta, input, rows, Shape.Inputs, Count);
        if (!wantInputDelta) return null;
        var dx = new T[rows * Shape.Inputs];
        Dense.InputGradients<T>(dx, delta, W, rows, Shape.Inputs, Count);
        return dx;
    }

    /// <summary>The gradient sum since the last call, laid out [W_g | b_g], and a fresh zero sum.</summary>
    public T[] TakeGradients()
    {
        var g = _gradients;
        _gradients = new T[g.Length];
        _inputs.Clear();
        return g;
    }

    /// <summary>Forgets the micro-batches in flight and the partial gradient sum (a step
    /// abandoned part-way, to be tried again).</summary>
    public void Reset()
    {
        _inputs.Clear();
        Array.Clear(_gradients);
    }

    /// <summary>Copies a group's gradients ([W_g | b_g]) into the layer's buffer ([W | b]).</summary>
    public static void Scatter(LayerShape shape, int group, ReadOnlySpan<T> groupGradients, Span<T> layerGradients)
    {
        var (start, count) = shape.GroupRange(group);
        groupGradients[..(count * shape.Inputs)].CopyTo(layerGradients.Slice(start * shape.Inputs, count * shape.Inputs));
        groupGradients.Slice(count * shape.Inputs, count).CopyTo(layerGradients.Slice(shape.WeightCount + start, count));
    }

    private T[] CheckParameters(T[] p) => p.Length == Shape.ParameterCount
        ? p
        : throw new ArgumentException($"layer of {Shape.Outputs}x{Shape.Inputs} needs {Shape.ParameterCount} parameters, got {p.Length}");
}

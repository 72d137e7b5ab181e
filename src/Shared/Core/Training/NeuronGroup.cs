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
/// Plain class, no actor types: <see cref="Actors.NeuronGroupActor{T}"/> is a shell over it,
/// a layer of one group computes it in its own actor, and <see cref="PlainTraining{T}"/> calls
/// it in a loop. It keeps each micro-batch's input between forward and backward (the sender's
/// array, not a copy). Allocation-free in its steady state: its outputs go into arrays reused
/// per micro-batch slot (<see cref="SlotBuffers{T}"/>), whose leading rows × width elements
/// hold the result; its gradient sum is rented from <see cref="BufferPool{T}"/> and handed over
/// whole with <see cref="TakeGradients"/>.
/// </remarks>
public sealed class NeuronGroup<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SlotBuffers<T> _outputs = new();
    private readonly SlotBuffers<T> _inputDeltas = new();
    private T[]?[] _inputs = new T[]?[1];
    private T[] _parameters;
    private T[]? _gradients; // rented at a step's first backward, handed over by TakeGradients

    public NeuronGroup(LayerShape shape, int group, T[] layerParameters)
    {
        Shape = shape;
        Group = group;
        (Start, Count) = shape.GroupRange(group);
        _parameters = CheckParameters(layerParameters);
    }

    public LayerShape Shape { get; }
    public int Group { get; }
    public int Start { get; }
    public int Count { get; }

    /// <summary>Elements of this group's gradient sum: [W_g | b_g].</summary>
    public int GradientLength => Count * Shape.Inputs + Count;

    // W_g: (Count, Inputs), rows Start.. of W; b_g: (Count)
    private ReadOnlySpan<T> W => _parameters.AsSpan(Start * Shape.Inputs, Count * Shape.Inputs);
    private ReadOnlySpan<T> B => _parameters.AsSpan(Shape.WeightCount + Start, Count);

    /// <summary>Takes the layer's new parameters (the whole layer's buffer; this group reads its rows).</summary>
    public void SetParameters(T[] layerParameters) => _parameters = CheckParameters(layerParameters);

    /// <summary>z_g = x·W_gᵀ + b_g.   x: (rows, Inputs) → z_g: (rows, Count), in the leading
    /// elements of the returned array (this group's, rewritten for the same micro-batch of the next step).</summary>
    public T[] Forward(int microBatch, T[] input, int rows)
    {
        var z = _outputs.Get(microBatch, rows * Count);
        Dense.Forward<T>(z.AsSpan(0, rows * Count), input.AsSpan(0, rows * Shape.Inputs), W, B, rows, Shape.Inputs, Count);
        if (microBatch >= _inputs.Length) Array.Resize(ref _inputs, microBatch + 1);
        _inputs[microBatch] = input;
        return z;
    }

    /// <summary>Adds this micro-batch's gradients to the running sum and returns δ_g·W_g,
    /// this group's part of the previous layer's delta (or null when not wanted: the first
    /// layer has no previous layer).   δ_g: (rows, Count) → (rows, Inputs), in the leading
    /// elements of the returned array (this group's).</summary>
    public T[]? Backward(int microBatch, T[] delta, int rows, bool wantInputDelta)
    {
        var input = microBatch < _inputs.Length ? _inputs[microBatch] : null;
        if (input is null)
            throw new InvalidOperationException($"group {Group}: backward for micro-batch {microBatch} without its forward");
        _inputs[microBatch] = null;
        _gradients ??= BufferPool<T>.Rent(GradientLength, clear: true);
        var wGrad = _gradients.AsSpan(0, Count * Shape.Inputs);
        var bGrad = _gradients.AsSpan(Count * Shape.Inputs, Count);
        var d = delta.AsSpan(0, rows * Count);
        Dense.AccumulateWeightGradients<T>(wGrad, bGrad, d, input.AsSpan(0, rows * Shape.Inputs), rows, Shape.Inputs, Count);
        if (!wantInputDelta) return null;
        var dx = _inputDeltas.Get(microBatch, rows * Shape.Inputs);
        Dense.InputGradients<T>(dx.AsSpan(0, rows * Shape.Inputs), d, W, rows, Shape.Inputs, Count);
        return dx;
    }

    /// <summary>The gradient sum since the last call, laid out [W_g | b_g]: the caller owns it
    /// now (and hands it on, or returns it to <see cref="BufferPool{T}"/>); the next backward starts a new sum.</summary>
    public T[] TakeGradients()
    {
        var g = _gradients ?? BufferPool<T>.Rent(GradientLength, clear: true);
        _gradients = null;
        Array.Clear(_inputs);
        return g;
    }

    /// <summary>Forgets the micro-batches in flight and the partial gradient sum (a step
    /// abandoned part-way, to be tried again).</summary>
    public void Reset()
    {
        Array.Clear(_inputs);
        BufferPool<T>.Return(_gradients);
        _gradients = null;
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

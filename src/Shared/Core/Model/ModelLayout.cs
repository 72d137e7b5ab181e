using System.Numerics;
using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>
/// The shape of one dense layer and where its values sit in the layer's flat parameter
/// buffer: <c>[ W (Outputs, Inputs) row-major | b (Outputs) ]</c>. One flat buffer per layer
/// (as in llm.c) means a gradient push is one message and an optimizer is one loop.
/// </summary>
public sealed record LayerShape(int Inputs, int Outputs, Activation Activation, int Groups)
{
    // Checked: a shape too big for one array throws here instead of wrapping around
    // (RunFootprint refuses such a spec before any run is admitted).
    public int WeightCount => checked(Inputs * Outputs);
    public int ParameterCount => checked(Inputs * Outputs + Outputs);

    public Span<T> Weights<T>(T[] parameters) => parameters.AsSpan(0, WeightCount);
    public Span<T> Biases<T>(T[] parameters) => parameters.AsSpan(WeightCount, Outputs);

    /// <summary>First neuron and neuron count of group <paramref name="group"/>: the layer's
    /// neurons split into contiguous, near-equal slices (the first <c>Outputs % Groups</c>
    /// groups get one more).</summary>
    public (int Start, int Count) GroupRange(int group)
    {
        var baseSize = Outputs / Groups;
        var extra = Outputs % Groups;
        var start = group * baseSize + Math.Min(group, extra);
        return (start, baseSize + (group < extra ? 1 : 0));
    }
}

/// <summary>The layers of a model, input to output, once the input width is known.</summary>
public sealed record ModelLayout(int Inputs, IReadOnlyList<LayerShape> Layers)
{
    public int Outputs => Layers[^1].Outputs;
    public long ParameterCount => Layers.Sum(l => (long)l.ParameterCount);

    /// <summary>Bytes of the arrays a checkpoint holds: the parameters and the optimizer's state
    /// for each (<see cref="Optimizers.StateSlots"/> copies), elements of <paramref name="elementBytes"/>.</summary>
    public long CheckpointBytes(OptimizerKind optimizer, int elementBytes) =>
        ParameterCount * (1 + Optimizers.StateSlots(optimizer)) * elementBytes;

    public static ModelLayout From(RunSpec spec, int inputs)
    {
        var layers = new List<LayerShape>(spec.Layers.Count);
        var fanIn = inputs;
        foreach (var l in spec.Layers)
        {
            layers.Add(new LayerShape(fanIn, l.Size, l.Activation, l.Groups));
            fanIn = l.Size;
        }
        return new ModelLayout(inputs, layers);
    }

    /// <summary>The initial parameters of every layer: explicit values from the spec where it
    /// gives them, otherwise the layer's initializer drawn from the run's seed (one random
    /// stream per layer, so changing one layer does not change the others). Biases start at 0.</summary>
    public T[][] InitialParameters<T>(RunSpec spec) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spec.Layers[0].Weights is not null && spec.Layers[0].WeightColumns != Inputs)
            throw new InvalidOperationException(
                $"layers[0].weights: rows have {spec.Layers[0].WeightColumns} columns, but the data have {Inputs} features");
        var result = new T[Layers.Count][];
        for (var i = 0; i < Layers.Count; i++)
        {
            var shape = Layers[i];
            var ls = spec.Layers[i];
            var p = new T[shape.ParameterCount];
            if (ls.Weights is { } w)
                for (var k = 0; k < w.Length; k++) p[k] = T.CreateChecked(w[k]);
            else
            {
                var init = ls.Initializer ?? spec.Initializer ?? DefaultInitializer(shape.Activation);
                Initializers.Fill(init, shape.Weights(p), shape.Inputs, shape.Outputs, Rng.ForStream(spec.Seed, 100 + (ulong)i));
            }
            if (ls.Biases is { } b)
                for (var k = 0; k < b.Length; k++) p[shape.WeightCount + k] = T.CreateChecked(b[k]);
            result[i] = p;
        }
        return result;
    }

    /// <summary>He for the ReLU family (He et al. 2015), Glorot otherwise (Glorot and Bengio 2010).</summary>
    public static Initializer DefaultInitializer(Activation activation) => activation switch
    {
        Activation.Relu or Activation.LeakyRelu or Activation.Elu => Initializer.HeNormal,
        _ => Initializer.GlorotUniform,
    };
}

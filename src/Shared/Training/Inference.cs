using System.Numerics;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>The forward pass alone, on one thread, for evaluation and prediction: the same
/// kernels the layer actors use, with no actors in between.</summary>
public static class Inference
{
    /// <summary>Outputs of the model for <paramref name="rows"/> inputs.   x: (rows, Inputs) → (rows, Outputs)</summary>
    public static T[] Forward<T>(ModelLayout layout, IReadOnlyList<T[]> parameters, T[] x, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = x;
        for (var l = 0; l < layout.Layers.Count; l++)
        {
            var s = layout.Layers[l];
            var z = new T[rows * s.Outputs];
            Dense.Forward<T>(z, a, s.Weights(parameters[l]), s.Biases(parameters[l]), rows, s.Inputs, s.Outputs);
            a = new T[z.Length];
            Activations.Forward<T>(s.Activation, a, z, rows, s.Outputs);
        }
        return a;
    }

    /// <summary>Mean loss per sample and accuracy over a whole data set, in batches of
    /// <paramref name="batchRows"/>.</summary>
    public static (double Loss, double Accuracy) Evaluate<T>(ModelLayout layout, IReadOnlyList<T[]> parameters, Loss loss, DataSet data, int batchRows = 512)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (data.Count == 0) return (double.NaN, double.NaN);
        double lossSum = 0;
        long correct = 0;
        var indices = new int[Math.Min(batchRows, data.Count)];
        for (var start = 0; start < data.Count; start += batchRows)
        {
            var rows = Math.Min(batchRows, data.Count - start);
            for (var i = 0; i < rows; i++) indices[i] = start + i;
            var (x, targets, labels) = Batches.Gather<T>(data, indices.AsSpan(0, rows), layout.Outputs);
            var output = Forward(layout, parameters, x, rows);
            lossSum += Losses.Sum<T>(loss, output, targets, rows, layout.Outputs);
            correct += Scoring.CountCorrect<T>(output, targets, labels, rows, layout.Outputs);
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }
}

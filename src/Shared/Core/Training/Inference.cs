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
        var a = LayerBuffers<T>(layout, rows);
        ForwardInto(layout, parameters, x, rows, LayerBuffers<T>(layout, rows), a);
        return a[^1];
    }

    /// <summary>One array per layer of (rows, that layer's outputs).</summary>
    private static T[][] LayerBuffers<T>(ModelLayout layout, int rows) => layout.Layers.Select(s => new T[rows * s.Outputs]).ToArray();

    /// <summary>The forward pass into buffers the caller keeps: x: (rows, Inputs); z[l], a[l]: at
    /// least (rows, outputs of layer l), its pre-activations and outputs. Returns the model's
    /// outputs, (rows, Outputs), the start of a[^1].</summary>
    private static ReadOnlySpan<T> ForwardInto<T>(ModelLayout layout, IReadOnlyList<T[]> parameters, ReadOnlySpan<T> x, int rows, T[][] z, T[][] a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = x;
        for (var l = 0; l < layout.Layers.Count; l++)
        {
            var s = layout.Layers[l];
            var pre = z[l].AsSpan(0, rows * s.Outputs);
            Dense.Forward<T>(pre, input, s.Weights(parameters[l]), s.Biases(parameters[l]), rows, s.Inputs, s.Outputs);
            var output = a[l].AsSpan(0, rows * s.Outputs);
            Activations.Forward<T>(s.Activation, output, pre, rows, s.Outputs);
            input = output;
        }
        return input;
    }

    /// <summary>Mean loss per sample and accuracy over a whole data set, in chunks of
    /// <paramref name="batchRows"/> rows evaluated on up to <paramref name="threads"/> threads
    /// (0: one per core). The chunks' sums are added in chunk order, so the result is the same
    /// bit for bit whatever the number of threads. A run evaluates its test set at every epoch
    /// end while training waits, hence the threads and the reused buffers (one set per thread).</summary>
    public static (double Loss, double Accuracy) Evaluate<T>(ModelLayout layout, IReadOnlyList<T[]> parameters, Loss loss, DataSet data,
        int batchRows = 512, int threads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchRows);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (data.Count == 0) return (double.NaN, double.NaN);
        var chunks = (data.Count + batchRows - 1) / batchRows;
        var lossSums = new double[chunks];
        var correct = new int[chunks];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        var spare = Workspaces<T>.For(layout, batchRows);
        Parallel.For(0, chunks, options, () => spare.TryTake(out var kept) ? kept : new Workspace<T>(layout, batchRows), (c, _, w) =>
        {
            var start = c * batchRows;
            var rows = Math.Min(batchRows, data.Count - start);
            (lossSums[c], correct[c]) = w.Evaluate(layout, parameters, loss, data, start, rows);
            return w;
        }, spare.Add);
        double lossSum = 0;
        long correctSum = 0;
        for (var c = 0; c < chunks; c++)
        {
            lossSum += lossSums[c];
            correctSum += correct[c];
        }
        return (lossSum / data.Count, (double)correctSum / data.Count);
    }

    /// <summary>The workspaces of earlier evaluations of a model, kept as long as its layout lives:
    /// a run evaluates its test set at every epoch end, and its threads' 3 MB of buffers (for
    /// Fashion-MNIST's network) need not be allocated each time.</summary>
    private static class Workspaces<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ModelLayout, System.Collections.Concurrent.ConcurrentDictionary<int,
            System.Collections.Concurrent.ConcurrentBag<Workspace<T>>>> Kept = new();

        public static System.Collections.Concurrent.ConcurrentBag<Workspace<T>> For(ModelLayout layout, int rows) =>
            Kept.GetOrCreateValue(layout).GetOrAdd(rows, _ => []);
    }

    /// <summary>One thread's buffers for chunks of up to Rows rows: the inputs, targets and
    /// labels, and each layer's pre-activations z and outputs a. z, a: (Rows, layer outputs).</summary>
    private sealed class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int[] _indices, _labels;
        private readonly T[] _x, _targets;
        private readonly T[][] _z, _a;

        public Workspace(ModelLayout layout, int rows)
        {
            _indices = new int[rows];
            _labels = new int[rows];
            _x = new T[rows * layout.Inputs];
            _targets = new T[rows * layout.Outputs];
            _z = LayerBuffers<T>(layout, rows);
            _a = LayerBuffers<T>(layout, rows);
        }

        /// <summary>(sum of the losses, number correct) of rows [start, start + rows).</summary>
        public (double LossSum, int Correct) Evaluate(ModelLayout layout, IReadOnlyList<T[]> parameters, Loss loss, DataSet data, int start, int rows)
        {
            var indices = _indices.AsSpan(0, rows);
            for (var i = 0; i < rows; i++) indices[i] = start + i;
            var x = _x.AsSpan(0, rows * layout.Inputs);
            var targets = _targets.AsSpan(0, rows * layout.Outputs);
            var labels = data.Labels is null ? null : _labels; // CountCorrect reads its first rows
            Batches.GatherInto<T>(data, indices, layout.Outputs, x, targets, labels is null ? [] : labels.AsSpan(0, rows));
            var a = ForwardInto(layout, parameters, x, rows, _z, _a);
            return (Losses.Sum<T>(loss, a, targets, rows, layout.Outputs), Scoring.CountCorrect<T>(a, targets, labels, rows, layout.Outputs));
        }
    }
}

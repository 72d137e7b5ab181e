using System.Numerics;
using System.Runtime.InteropServices;
using ActorNet.Data;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>Turns rows of a data set into the arrays a replica sends through its layers.</summary>
public static class Batches
{
    /// <summary>x: (rows, features); targets: (rows, outputs); labels: (rows) or null.
    /// Targets come from the data set's explicit targets, else from its labels: one-hot when
    /// the model has one output per class, the label itself when a single output scores two
    /// classes.</summary>
    public static (T[] X, T[] Targets, int[]? Labels) Gather<T>(DataSet data, ReadOnlySpan<int> indices, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[indices.Length * data.FeatureCount];
        var targets = new T[indices.Length * outputs];
        var labels = data.Labels is null ? null : new int[indices.Length];
        GatherInto<T>(data, indices, outputs, x, targets, labels);
        return (x, targets, labels);
    }

    /// <summary><see cref="Gather{T}"/> into buffers the caller reuses. x: (rows, features);
    /// targets: (rows, outputs), overwritten whole; labels: (rows), written when the data set has
    /// labels (may be empty otherwise).</summary>
    public static void GatherInto<T>(DataSet data, ReadOnlySpan<int> indices, int outputs, Span<T> x, Span<T> targets, Span<int> labels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var f = data.FeatureCount;
        var rows = indices.Length;
        SpanChecks.Length(x.Length, rows * f, nameof(x), rows, f, "rows", "features");
        SpanChecks.Length(targets.Length, rows * outputs, nameof(targets), rows, outputs, "rows", "outputs");
        if (data.Labels is not null) SpanChecks.Length(labels.Length, rows, nameof(labels), "one label per row");
        targets.Clear(); // one-hot targets write only their ones
        for (var i = 0; i < indices.Length; i++)
        {
            var r = indices[i];
            // A run's data are kept in its precision, so for T = the set's precision both are copies.
            data.CopyRow(r, x.Slice(i * f, f));
            if (data.HasTargets)
                data.CopyTargets(r, targets.Slice(i * outputs, outputs));
            else if (outputs == 1)
                targets[i] = T.CreateChecked(data.Labels![r]);
            else
                targets[i * outputs + data.Labels![r]] = T.One;
            if (data.Labels is not null) labels[i] = data.Labels[r];
        }
    }

    /// <summary>Why a model's output layer cannot be trained on this data set, or null.</summary>
    public static string? CheckOutputs(DataSet data, int outputs)
    {
        if (data.HasTargets)
            return data.TargetWidth == outputs ? null : $"the data have {data.TargetWidth} targets per row, but the last layer has {outputs} neurons";
        if (outputs == data.Classes || (outputs == 1 && data.Classes == 2)) return null;
        return $"the data have {data.Classes} classes, so the last layer needs {data.Classes} neurons{(data.Classes == 2 ? " (or 1)" : "")}, not {outputs}";
    }

    /// <summary>Cuts <paramref name="total"/> items into <paramref name="parts"/> contiguous,
    /// near-equal pieces (the first <c>total % parts</c> get one more): (start, count) of piece
    /// <paramref name="index"/>. Used for batch slices per worker and micro-batches alike.</summary>
    public static (int Start, int Count) Piece(int total, int parts, int index)
    {
        var size = total / parts;
        var extra = total % parts;
        return (index * size + Math.Min(index, extra), size + (index < extra ? 1 : 0));
    }
}

/// <summary>Each micro-batch slot's gathered rows, written again step after step (see
/// <see cref="SlotBuffers{T}"/>): what a replica sends into its first layer.</summary>
public sealed class BatchSlots<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SlotBuffers<T> _inputs = new();
    private readonly SlotBuffers<T> _targets = new();
    private readonly SlotBuffers<int> _labels = new();

    /// <summary>The rows at <paramref name="indices"/> into slot <paramref name="slot"/>'s arrays, whose
    /// leading elements they fill.   x: (rows, features); targets: (rows, outputs); labels: (rows) or null</summary>
    public (T[] X, T[] Targets, int[]? Labels) Gather(DataSet data, ReadOnlySpan<int> indices, int outputs, int slot)
    {
        var rows = indices.Length;
        var x = _inputs.Get(slot, rows * data.FeatureCount);
        var targets = _targets.Get(slot, rows * outputs);
        var labels = data.Labels is null ? null : _labels.Get(slot, rows);
        Batches.GatherInto<T>(data, indices, outputs, x.AsSpan(0, rows * data.FeatureCount), targets.AsSpan(0, rows * outputs),
            labels.AsSpan(0, labels is null ? 0 : rows));
        return (x, targets, labels);
    }
}

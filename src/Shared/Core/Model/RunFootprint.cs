using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>
/// What a run needs in memory, worked out from its spec before it is admitted, so that a spec
/// too big for the machine is refused with the figure instead of failing (or looping) when its
/// arrays are allocated. Sizes are counted in 64-bit arithmetic: a layer of 10⁹ neurons is a
/// figure here, never an overflow.
/// </summary>
public static class RunFootprint
{
    /// <summary>Default limit: four fifths of the memory this process may use (the container's
    /// limit, else the machine's).</summary>
    public static long DefaultLimitBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 5 * 4;

    /// <summary>
    /// Bytes a run holds at least, coordinator and one worker in one process (as <c>local</c>
    /// runs): per parameter, the shard's two buffers, the optimizer's state slots, a gradient sum
    /// and the replica's copy; per row of a batch and per neuron, the pre-activation, the output
    /// and the delta. Elements of 4 (float32) or 8 (float64) bytes.
    /// </summary>
    public static long Bytes(RunSpec spec, int inputs)
    {
        long parameters = 0, neurons = 0, fanIn = inputs;
        foreach (var l in spec.Layers)
        {
            parameters += fanIn * l.Size + l.Size;
            neurons += l.Size;
            fanIn = l.Size;
        }
        var elementBytes = spec.Precision == Precision.Float64 ? 8L : 4L;
        var perParameter = 4L + Optimizers.StateSlots(spec.Optimizer.Kind);
        return elementBytes * (parameters * perParameter + (long)spec.BatchSize * neurons * 3);
    }

    /// <summary>Why the spec cannot run here: a layer whose parameters do not fit one array, or a
    /// footprint over <paramref name="limitBytes"/>. Empty when it fits.</summary>
    /// <param name="inputs">features per sample (the data's width)</param>
    /// <param name="limitSetting">the setting that holds the limit, named in the message</param>
    public static IReadOnlyList<string> Problems(RunSpec spec, int inputs, long limitBytes, string limitSetting)
    {
        var problems = new List<string>();
        long fanIn = inputs;
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var size = spec.Layers[i].Size;
            var count = fanIn * size + size;
            if (count > Array.MaxLength)
                problems.Add($"layers[{i}].size: {fanIn:N0} inputs × {size:N0} neurons + {size:N0} biases = {count:N0} parameters; one layer holds at most {Array.MaxLength:N0}");
            fanIn = size;
        }
        var bytes = Bytes(spec, inputs);
        if (bytes > limitBytes)
            problems.Add($"the run needs about {Gib(bytes)} (parameters, optimizer state, gradients and a batch's activations), over the {Gib(limitBytes)} allowed by {limitSetting}");
        return problems;
    }

    private static string Gib(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):0.###} GiB";
}

using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>The element type a run computes in. Float32 is the default and the fast path;
/// Float64 is for exact comparisons (the article's worked example is given to 9 digits).</summary>
public enum Precision { Float32, Float64 }

/// <summary>
/// Everything that defines one training run, as read from a run spec JSON file (see
/// <see cref="RunSpecReader"/> for the file format and every default). Immutable: a run
/// keeps the spec it was started with.
/// </summary>
public sealed record RunSpec
{
    /// <summary>A name for logs and listings. Default: the file name without extension.</summary>
    public required string Name { get; init; }
    /// <summary>Seeds weight initialisation, data generation, splitting and shuffling. Default 1.</summary>
    public ulong Seed { get; init; } = 1;
    public Precision Precision { get; init; } = Precision.Float32;
    public required DataSpec Data { get; init; }
    /// <summary>The dense layers after the input, first to last.</summary>
    public required IReadOnlyList<LayerSpec> Layers { get; init; }
    public required Loss Loss { get; init; }
    public required OptimizerSettings Optimizer { get; init; }
    /// <summary>Samples per global mini-batch. Default 32.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Pieces each mini-batch is cut into on its way through the layer chain (GPipe). Default 1.</summary>
    public int MicroBatches { get; init; } = 1;
    /// <summary>Passes over the training set. Default 10.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Whether biases are updated. Default true; the article's example keeps them fixed.</summary>
    public bool TrainBiases { get; init; } = true;
    /// <summary>Initializer for layers that give neither weights nor their own initializer.
    /// Default: He (normal) for layers with a ReLU-family activation, Glorot (uniform) otherwise.</summary>
    public Initializer? Initializer { get; init; }
    /// <summary>How workers' gradients are combined. Default: synchronous.</summary>
    public SyncSpec Sync { get; init; } = new();
    /// <summary>When the run saves checkpoints and how many it keeps.</summary>
    public CheckpointSpec Checkpoint { get; init; } = new();
}

/// <summary>A synchronous run saves a checkpoint at the end of every epoch and at its end, and
/// within an epoch every <see cref="EverySteps"/> steps and once <see cref="EverySeconds"/> have
/// passed since the last; it keeps the last <see cref="Keep"/> and the one with the best test
/// accuracy. (An asynchronous run has no consistent state between steps to save: it keeps its
/// journal, and starts over if its coordinator restarts.)</summary>
/// <remarks>By time rather than by steps by default, as Keras and Lightning save per epoch: with a
/// checkpoint of Fashion-MNIST's network every 100 steps (the old default), one replica on one core
/// trained at 45,000 samples/s at batch 64 journaling to SQLite against 53,800 in memory (medians of
/// three alternating runs; 43,500 against 56,600 at batch 256), and a crash now loses at most a minute.</remarks>
public sealed record CheckpointSpec
{
    /// <summary>Steps between checkpoints within an epoch; 0 (the default): none by step count.</summary>
    public int EverySteps { get; init; }
    /// <summary>Seconds of training after which the next step is checkpointed; 0: none by time. Default 60.</summary>
    public int EverySeconds { get; init; } = 60;
    /// <summary>Most recent checkpoints kept (the best is kept besides). Default 3, at least 1.</summary>
    public int Keep { get; init; } = 3;
}

public enum SyncMode { Synchronous, Asynchronous }

/// <summary>Synchronous: every step waits for all workers, their gradients are summed in a fixed
/// order (exact and repeatable). Asynchronous (stale-synchronous parallel, Ho et al. 2013): each
/// worker's gradient is applied as it arrives, and no worker runs more than
/// <see cref="MaxStaleness"/> steps ahead of the slowest, nor is a batch handed out while more than
/// <see cref="MaxStaleness"/> computed gradients wait to be applied.</summary>
public sealed record SyncSpec
{
    public SyncMode Mode { get; init; } = SyncMode.Synchronous;
    /// <summary>Steps a worker may be ahead of the slowest, in asynchronous mode. Default 2.</summary>
    public int MaxStaleness { get; init; } = 2;
}

/// <summary>One dense layer: <c>Size</c> neurons, an activation, optionally split into
/// <c>Groups</c> neuron-group actors, optionally with explicit initial values.</summary>
public sealed record LayerSpec
{
    public required int Size { get; init; }
    public required Activation Activation { get; init; }
    /// <summary>Neuron-group actors the layer is split into (each owns a contiguous slice of the
    /// layer's neurons, i.e. rows of W). Default 1; at most <see cref="Size"/>.</summary>
    public int Groups { get; init; } = 1;
    public Initializer? Initializer { get; init; }
    /// <summary>Explicit initial weights, (Size, inputs) row-major: one row per neuron.</summary>
    public double[]? Weights { get; init; }
    /// <summary>Explicit initial biases, (Size).</summary>
    public double[]? Biases { get; init; }
    /// <summary>Columns of each row of <see cref="Weights"/>, when given (checked against the
    /// layer's fan-in once the data set is known).</summary>
    public int WeightColumns { get; init; }
}

/// <summary>Where the data come from: exactly one of a built-in generated set, files, or
/// inline rows.</summary>
public sealed record DataSpec
{
    /// <summary>A generated 2-D set: circles, moons, spirals or xor.</summary>
    public string? Builtin { get; init; }
    /// <summary>Samples to generate for a built-in set. Default 1000.</summary>
    public int Samples { get; init; } = 1000;
    /// <summary>Noise of a built-in set; default: the generator's own.</summary>
    public double? Noise { get; init; }
    /// <summary>Training data: a CSV file, or a directory of IDX files (MNIST layout).</summary>
    public string? Train { get; init; }
    /// <summary>Test data file (CSV); for an IDX directory the t10k files are used.</summary>
    public string? Test { get; init; }
    /// <summary>CSV label column: a header name or a 0-based index. Default: the last column.</summary>
    public string? LabelColumn { get; init; }
    /// <summary>Share of the data held out for testing when there is no test file. Default 0.2.</summary>
    public double TestFraction { get; init; } = 0.2;
    /// <summary>none, minMax, standardize or unitRange (fit on the training set). Default none.</summary>
    public string Scaling { get; init; } = "none";
    /// <summary>Inline rows (the article's single sample): inputs and explicit targets.</summary>
    public double[][]? InlineInputs { get; init; }
    public double[][]? InlineTargets { get; init; }
    /// <summary>Limit on training rows used (handy for quick runs on large sets). Default: all.</summary>
    public int? MaxTrainSamples { get; init; }
}

using ActorNet.Model;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Model;

public sealed class ModelLayoutTests
{
    /// <summary>The checkpoint benchmark's model: 784 → 4096 → 1536 → 10, 9,523,722 parameters.</summary>
    private static readonly ModelLayout Benchmark = new(784,
        [new LayerShape(784, 4096, Activation.Relu, 1), new LayerShape(4096, 1536, Activation.Relu, 1), new LayerShape(1536, 10, Activation.Softmax, 1)]);

    [Theory]
    [InlineData(OptimizerKind.Sgd, 4, 1)]
    [InlineData(OptimizerKind.Momentum, 4, 2)]
    [InlineData(OptimizerKind.Adam, 4, 3)]
    [InlineData(OptimizerKind.Adam, 8, 3)]
    public void A_checkpoint_holds_the_parameters_and_the_optimizers_state_for_each(OptimizerKind optimizer, int elementBytes, int copies)
    {
        Assert.Equal(9_523_722, Benchmark.ParameterCount);
        Assert.Equal(9_523_722L * copies * elementBytes, Benchmark.CheckpointBytes(optimizer, elementBytes));
    }

    [Fact]
    public void A_layer_too_big_for_one_array_throws_instead_of_wrapping_around()
    {
        var huge = new LayerShape(2, 1_500_000_000, Activation.Tanh, 1);
        Assert.Throws<OverflowException>(() => huge.ParameterCount);
        Assert.Throws<OverflowException>(() => huge.WeightCount);
    }

    private static readonly RunSpec Small = new()
    {
        Name = "t", Data = new DataSpec(),
        Layers = [new LayerSpec { Size = 16, Activation = Activation.Tanh }, new LayerSpec { Size = 2, Activation = Activation.Softmax }],
        Loss = Loss.SoftmaxCrossEntropy, Optimizer = new OptimizerSettings(OptimizerKind.Adam, 0.01), BatchSize = 32, Epochs = 1,
    };

    [Fact]
    public void A_runs_footprint_counts_parameters_optimizer_state_gradients_and_a_batchs_activations()
    {
        // 2→16→2: 48 + 34 = 82 parameters, each with two shard buffers, Adam's two slots, a
        // gradient and the replica's copy; 32 rows × 18 neurons × (z, a, delta); float32.
        Assert.Equal(4L * (82 * 6 + 32 * 18 * 3), RunFootprint.Bytes(Small, 2));
        Assert.Equal(2 * RunFootprint.Bytes(Small, 2), RunFootprint.Bytes(Small with { Precision = Precision.Float64 }, 2));
        Assert.Empty(RunFootprint.Problems(Small, 2, 1L << 30, "Limit"));
    }

    [Fact]
    public void A_spec_over_the_limits_is_told_the_figure_the_limit_and_the_setting()
    {
        var huge = Small with { Layers = [Small.Layers[0] with { Size = 1_000_000_000 }, Small.Layers[1]] };
        var problems = RunFootprint.Problems(huge, 2, 1L << 30, "ActorNet:MaxRunBytes");
        Assert.Equal([
            $"layers[0].size: 2 inputs × 1,000,000,000 neurons + 1,000,000,000 biases = 3,000,000,000 parameters; one layer holds at most {Array.MaxLength:N0}",
            "the run needs about 469.387 GiB (parameters, optimizer state, gradients and a batch's activations), over the 1 GiB allowed by ActorNet:MaxRunBytes",
        ], problems);
    }
}

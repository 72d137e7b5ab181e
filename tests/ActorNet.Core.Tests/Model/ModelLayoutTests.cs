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
}

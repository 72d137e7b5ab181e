using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>A training step in its steady state allocates nothing, and an array handed over with
/// a message is left alone by whoever handed it over.</summary>
public sealed class SteadyStateTests
{
    private static RunSpec Spec(int groups, int microBatches) =>
        TestRuns.Spec(Loss.SoftmaxCrossEntropy, Activation.Softmax, 3, (16, Activation.Relu, groups), (8, Activation.Tanh, 1)) with
        {
            Precision = Precision.Float32,
            BatchSize = 32,
            MicroBatches = microBatches,
            Epochs = 1,
            Optimizer = new OptimizerSettings(OptimizerKind.Adam, 0.01),
            Data = TestRuns.RandomData(1000, 12, 3, Loss.SoftmaxCrossEntropy, seed: 4),
        };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 2, 2)]
    public void A_plain_step_allocates_nothing_once_warm(int groups, int microBatches, int replicas)
    {
        var spec = Spec(groups, microBatches);
        var data = DataCache.Get(spec, baseDirectory: null);
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var plain = new PlainTraining<float>(spec, layout, data.Train, layout.InitialParameters<float>(spec), replicas);
        for (var i = 0; i < 3; i++) plain.TrainStep(); // buffers sized, pool filled, code compiled

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) plain.TrainStep(); // within the first epoch (31 steps)
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Gradients_taken_from_a_group_are_not_written_by_it_afterwards()
    {
        var shape = new LayerShape(4, 3, Activation.Identity, 1);
        var parameters = Enumerable.Range(0, shape.ParameterCount).Select(i => 0.1f * i).ToArray();
        var group = new NeuronGroup<float>(shape, 0, parameters);
        var input = Enumerable.Range(0, 8).Select(i => i - 3f).ToArray();  // (2, 4)
        var delta = Enumerable.Range(0, 6).Select(i => 0.5f - i).ToArray(); // (2, 3)

        group.Forward(0, input, 2);
        group.Backward(0, delta, 2, wantInputDelta: true);
        var handedOver = group.TakeGradients();
        var asHandedOver = (float[])handedOver.Clone();
        Assert.Contains(handedOver, g => g != 0);

        for (var step = 0; step < 3; step++)
        {
            group.Forward(0, input, 2);
            group.Backward(0, delta, 2, wantInputDelta: true);
            Assert.NotSame(handedOver, group.TakeGradients());
        }
        Assert.Equal(asHandedOver, handedOver);
    }

    [Fact]
    public void An_array_returned_to_the_pool_twice_is_refused()
    {
        var array = new float[991]; // a length no other test uses
        BufferPool<float>.Return(array);
        var error = Assert.Throws<InvalidOperationException>(() => BufferPool<float>.Return(array));
        Assert.Contains("returned to the pool twice", error.Message);
        Assert.Same(array, BufferPool<float>.Rent(991, clear: false));
    }
}

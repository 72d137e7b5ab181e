using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Training;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>Splitting the work (neuron groups, micro-batches, workers) changes where the
/// arithmetic happens, never what is computed.</summary>
public sealed class SplitInvarianceTests : Akka.TestKit.Xunit2.TestKit
{
    private static RunSpec Spec(int groups1, int groups2, int microBatches) =>
        TestRuns.Spec(Loss.SoftmaxCrossEntropy, Activation.Softmax, 3, (7, Activation.Relu, groups1), (5, Activation.Tanh, groups2)) with
        {
            Precision = Precision.Float32,
            BatchSize = 20,
            MicroBatches = microBatches,
            Epochs = 3,
            Data = Data,
        };

    private static readonly ActorNet.Model.DataSpec Data = TestRuns.RandomData(60, 4, 3, Loss.SoftmaxCrossEntropy, seed: 21);

    [Theory]
    [InlineData(3, 2, 1)]
    [InlineData(1, 1, 4)]
    [InlineData(7, 5, 3)]
    public async Task Groups_and_micro_batches_give_the_plain_gradients(int groups1, int groups2, int microBatches)
    {
        var (_, plain, _) = await TestRuns.TrainAsync(Sys, Spec(1, 1, 1), trace: true);
        var (_, split, _) = await TestRuns.TrainAsync(Sys, Spec(groups1, groups2, microBatches), trace: true);

        Assert.Equal(plain.Count, split.Count);
        for (var s = 0; s < plain.Count; s++)
        {
            var d = TestRuns.MaxRelativeDifference(plain[s].AverageGradients, split[s].AverageGradients);
            Assert.True(d <= 1e-5, $"step {s}: gradients differ by {d:G3} relative");
        }
    }

    [Fact]
    public async Task One_two_and_three_workers_give_the_same_losses()
    {
        var (one, _, _) = await TestRuns.TrainAsync(Sys, Spec(1, 1, 1), workers: 1);
        foreach (var workers in new[] { 2, 3 })
        {
            var (many, _, _) = await TestRuns.TrainAsync(Sys, Spec(1, 1, 1), workers: workers);
            Assert.Equal(one.Epochs.Count, many.Epochs.Count);
            for (var e = 0; e < one.Epochs.Count; e++)
            {
                var a = one.Epochs[e].TrainLoss;
                var b = many.Epochs[e].TrainLoss;
                Assert.True(Math.Abs(a - b) <= 1e-4 * Math.Abs(a), $"{workers} workers, epoch {e + 1}: train loss {b} vs {a}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(1, 1, 4, 1)]
    [InlineData(1, 1, 1, 3)]
    [InlineData(7, 5, 3, 2)]
    public async Task The_actors_end_with_the_plain_loop_s_weights_bit_for_bit(int groups1, int groups2, int microBatches, int workers)
    {
        var spec = Spec(groups1, groups2, microBatches);
        var (done, _, _) = await TestRuns.TrainAsync(Sys, spec, workers);

        var data = DataCache.Get(spec, baseDirectory: null);
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var plain = new PlainTraining<float>(spec, layout, data.Train, layout.InitialParameters<float>(spec), workers);
        while (plain.Step < plain.Schedule.TotalSteps) plain.TrainStep();

        Assert.Equal(plain.Schedule.TotalSteps, done.Steps);
        for (var l = 0; l < layout.Layers.Count; l++)
            Assert.Equal(plain.Parameters[l].Select(v => (double)v).ToArray(), done.Parameters[l]); // exact, element by element
    }

    [Fact]
    public async Task The_same_settings_twice_give_bit_identical_weights()
    {
        var spec = Spec(3, 2, 2);
        var (first, _, _) = await TestRuns.TrainAsync(Sys, spec, workers: 2);
        var (second, _, _) = await TestRuns.TrainAsync(Sys, spec, workers: 2);
        Assert.Equal(first.Parameters.Length, second.Parameters.Length);
        for (var l = 0; l < first.Parameters.Length; l++)
            Assert.Equal(first.Parameters[l], second.Parameters[l]); // exact equality, element by element
    }
}

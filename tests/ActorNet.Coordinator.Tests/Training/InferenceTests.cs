using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>The test-set evaluation a run makes at every epoch end: the loss and accuracy a user
/// reads must not depend on how many threads computed them.</summary>
public sealed class InferenceTests
{
    [Theory]
    [InlineData(Loss.SoftmaxCrossEntropy, Activation.Softmax, 3, true)]  // labels, one-hot targets
    [InlineData(Loss.BinaryCrossEntropy, Activation.Logistic, 1, true)]  // labels, one output scores two classes
    [InlineData(Loss.MeanSquaredError, Activation.Tanh, 2, false)]       // explicit targets, no labels
    public void Evaluation_gives_the_same_figures_on_any_number_of_threads(Loss loss, Activation output, int outputs, bool labels)
    {
        // 1,000 rows in chunks of 64: 15 full chunks and a last one of 40, so every thread
        // reuses its buffers for chunks of both sizes.
        const int rows = 1000, features = 5, chunk = 64;
        var data = Data(rows, features, outputs, labels);
        var spec = TestRuns.Spec(loss, output, outputs, (16, Activation.Relu, 1), (8, Activation.Tanh, 1)) with { Seed = 4 };
        var layout = ModelLayout.From(spec, features);
        var parameters = layout.InitialParameters<double>(spec);

        var expected = ChunkByChunk(layout, parameters, loss, data, chunk);
        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            var actual = Inference.Evaluate<double>(layout, parameters, loss, data, chunk, threads);
            Assert.Equal(expected.Loss, actual.Loss); // exactly: the chunks' sums are added in one order
            Assert.Equal(expected.Accuracy, actual.Accuracy);
        }
        Assert.InRange(expected.Accuracy, 0.0, 1.0);
        Assert.True(double.IsFinite(expected.Loss) && expected.Loss > 0);
    }

    [Fact]
    public void An_empty_set_has_no_figures()
    {
        var data = new DataSet("empty", [], 2, [], 2);
        var layout = new ModelLayout(2, [new LayerShape(2, 2, Activation.Softmax, 1)]);
        var (loss, accuracy) = Inference.Evaluate<float>(layout, [new float[6]], Loss.SoftmaxCrossEntropy, data);
        Assert.True(double.IsNaN(loss) && double.IsNaN(accuracy));
    }

    /// <summary>The definition: each chunk gathered into new arrays and run through
    /// <see cref="Inference.Forward{T}"/>, its sums added in order.</summary>
    private static (double Loss, double Accuracy) ChunkByChunk(ModelLayout layout, double[][] parameters, Loss loss, DataSet data, int chunk)
    {
        double lossSum = 0;
        long correct = 0;
        for (var start = 0; start < data.Count; start += chunk)
        {
            var indices = Enumerable.Range(start, Math.Min(chunk, data.Count - start)).ToArray();
            var (x, targets, labels) = Batches.Gather<double>(data, indices, layout.Outputs);
            var output = Inference.Forward(layout, parameters, x, indices.Length);
            lossSum += Losses.Sum<double>(loss, output, targets, indices.Length, layout.Outputs);
            correct += Scoring.CountCorrect<double>(output, targets, labels, indices.Length, layout.Outputs);
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    private static DataSet Data(int rows, int features, int outputs, bool labels)
    {
        var rng = new Rng(9);
        var x = new float[rows * features];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble(-2, 2);
        if (labels)
        {
            var classes = Math.Max(outputs, 2);
            var y = new int[rows];
            for (var i = 0; i < rows; i++) y[i] = (int)(rng.NextDouble(0, 1) * classes);
            return new DataSet("random", x, features, y, classes);
        }
        var t = new float[rows * outputs];
        for (var i = 0; i < t.Length; i++) t[i] = (float)rng.NextDouble(-1, 1);
        return new DataSet("random", x, features, null, 0, t, outputs);
    }
}

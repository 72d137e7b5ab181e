using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>Every gradient the actors compute, against a central difference of the loss (in double).</summary>
public sealed class GradientCheckTests : Akka.TestKit.Xunit2.TestKit
{
    public static TheoryData<Activation, Loss, Activation> Cases()
    {
        var cases = new TheoryData<Activation, Loss, Activation>();
        foreach (var hidden in Enum.GetValues<Activation>().Where(a => a != Activation.Softmax))
        {
            cases.Add(hidden, Loss.HalfSumSquares, Activation.Identity);
            cases.Add(hidden, Loss.MeanSquaredError, Activation.Tanh);
            cases.Add(hidden, Loss.SoftmaxCrossEntropy, Activation.Softmax);
            cases.Add(hidden, Loss.BinaryCrossEntropy, Activation.Logistic);
        }
        // The output activations the square losses take that the rows above do not cover.
        foreach (var output in new[] { Activation.Logistic, Activation.Relu, Activation.LeakyRelu, Activation.Elu, Activation.Softplus, Activation.Softmax })
            cases.Add(Activation.Tanh, Loss.HalfSumSquares, output);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Analytic_gradients_match_central_differences(Activation hidden, Loss loss, Activation output)
    {
        const int rows = 6, inputs = 3, outputs = 3;
        var spec = TestRuns.Spec(loss, output, outputs, (4, hidden, 1), (3, hidden, 1)) with
        {
            BatchSize = rows,
            Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.0),
            Data = TestRuns.RandomData(rows, inputs, outputs, loss, seed: 11),
        };
        var data = DataCache.Get(spec, null).Train;
        var layout = ModelLayout.From(spec, inputs);
        var parameters = layout.InitialParameters<double>(spec);
        // Biases away from zero, so that their gradients are not trivially small.
        var rng = new Rng(5);
        foreach (var (p, s) in parameters.Zip(layout.Layers))
            for (var i = s.WeightCount; i < p.Length; i++) p[i] = rng.NextDouble(-0.5, 0.5);
        var explicitSpec = WithExplicitValues(spec, layout, parameters);

        var (_, traces, _) = await TestRuns.TrainAsync(Sys, explicitSpec, trace: true);
        var analytic = traces[0].AverageGradients;

        var (x, targets, _) = Batches.Gather<double>(data, Enumerable.Range(0, rows).ToArray(), outputs);
        double MeanLoss() => Losses.Sum<double>(loss, Inference.Forward(layout, parameters, x, rows), targets, rows, outputs) / rows;
        const double h = 1e-6;
        for (var l = 0; l < parameters.Length; l++)
            for (var i = 0; i < parameters[l].Length; i++)
            {
                var keep = parameters[l][i];
                parameters[l][i] = keep + h;
                var plus = MeanLoss();
                parameters[l][i] = keep - h;
                var minus = MeanLoss();
                parameters[l][i] = keep;
                var numeric = (plus - minus) / (2 * h);
                var a = analytic[l][i];
                Assert.True(Math.Abs(a - numeric) <= 1e-7 + 1e-5 * Math.Abs(numeric),
                    $"layer {l} parameter {i}: analytic {a:G10}, central difference {numeric:G10}");
            }
    }

    private static RunSpec WithExplicitValues(RunSpec spec, ModelLayout layout, double[][] parameters) => spec with
    {
        Layers = spec.Layers.Select((ls, l) => ls with
        {
            Weights = parameters[l][..layout.Layers[l].WeightCount],
            WeightColumns = layout.Layers[l].Inputs,
            Biases = parameters[l][layout.Layers[l].WeightCount..],
        }).ToArray(),
    };
}

using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using Akka.Actor;

namespace ActorNet.Training;

/// <summary>The numbers of the article's worked example, as ActorNet computes them.</summary>
/// <param name="Outputs">out_h1, out_h2, out_o1, out_o2</param>
/// <param name="W5Factors">∂E/∂out_o1, ∂out_o1/∂net_o1, ∂net_o1/∂w5</param>
/// <param name="W1Factors">∂E/∂out_h1, ∂out_h1/∂net_h1, ∂net_h1/∂w1</param>
/// <param name="Gradients">∂E/∂w1 … ∂E/∂w8</param>
/// <param name="UpdatedWeights">w1 … w8 after one update</param>
public sealed record BackpropReport(
    IReadOnlyDictionary<string, double> Outputs, double TotalError,
    IReadOnlyList<double> W5Factors, IReadOnlyList<double> W1Factors,
    IReadOnlyList<double> Gradients, IReadOnlyList<double> UpdatedWeights,
    double ErrorAfter1, double ErrorAfter10000, long Updates);

/// <summary>
/// The 2-2-2 logistic network of the article ("A Step by Step Backpropagation Example"),
/// trained through the layer actors: the forward values and chain-rule factors come from
/// the forward pass, the gradients and updated weights from the run's first step, the
/// errors from the steps after 1 and 10,000 updates.
/// </summary>
public static class BackpropExample
{
    public static RunSpec Spec()
    {
        using var stream = typeof(BackpropExample).Assembly.GetManifestResourceStream("ActorNet.Examples.backprop.json")
            ?? throw new InvalidOperationException("the backprop example spec is missing from the assembly");
        using var reader = new StreamReader(stream);
        return RunSpecReader.Parse(reader.ReadToEnd(), "examples/backprop.json", "backprop");
    }

    public static async Task<BackpropReport> RunAsync(ActorSystem system, CancellationToken cancellation = default)
    {
        var spec = Spec();
        var data = DataCache.Get(spec, baseDirectory: null).Train;
        var layout = ModelLayout.From(spec, data.FeatureCount);
        var initial = layout.InitialParameters<double>(spec);

        StepTraced? first = null;
        double errorAfter1 = double.NaN;
        var run = LocalTraining.Start(system, spec, trace: true);
        var done = await run.WaitAsync(e =>
        {
            if (e is StepTraced { Step: 0 } t) first = t;
            // Step 1's loss is computed before its update, i.e. with the weights after one update.
            if (e is StepCompleted { Step: 1 } s) errorAfter1 = s.Loss;
        }, cancellation);
        if (first is null) throw new InvalidOperationException("the run reported no first step");

        // Forward values and chain-rule factors, from the initial weights.
        // The spec is float64, so its inline sample is kept to every digit: the article's 0.05, 0.10 and 0.01, 0.99.
        var (x, t) = (data.Features64, data.Targets64!);
        double i1 = x[0], i2 = x[1], t1 = t[0], t2 = t[1];
        double w5 = initial[1][0], w7 = initial[1][2];
        var hidden = Inference.Forward(new ModelLayout(2, [layout.Layers[0]]), [initial[0]], [i1, i2], 1);
        var output = Inference.Forward(layout, initial, [i1, i2], 1);
        double h1 = hidden[0], h2 = hidden[1], o1 = output[0], o2 = output[1];
        var error = 0.5 * ((t1 - o1) * (t1 - o1) + (t2 - o2) * (t2 - o2));
        double dEdO1 = o1 - t1, dO1dNet = o1 * (1 - o1), dEdO2 = o2 - t2, dO2dNet = o2 * (1 - o2);
        var dEdH1 = dEdO1 * dO1dNet * w5 + dEdO2 * dO2dNet * w7;

        var g = first.AverageGradients;
        var final = Inference.Evaluate<double>(layout, done.Parameters, spec.Loss, data);
        var p = first.Parameters;
        return new BackpropReport(
            new Dictionary<string, double> { ["h1"] = h1, ["h2"] = h2, ["o1"] = o1, ["o2"] = o2 },
            error,
            [dEdO1, dO1dNet, h1],
            [dEdH1, h1 * (1 - h1), i1],
            [g[0][0], g[0][1], g[0][2], g[0][3], g[1][0], g[1][1], g[1][2], g[1][3]],
            [p[0][0], p[0][1], p[0][2], p[0][3], p[1][0], p[1][1], p[1][2], p[1][3]],
            errorAfter1, final.Loss, done.Steps);
    }
}

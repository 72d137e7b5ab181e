using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;

namespace ActorNet.Tests.Training;

/// <summary>Small specs and a way to run them to the end, collecting what the run reported.</summary>
internal static class TestRuns
{
    public static async Task<(RunCompleted Done, List<StepTraced> Traces, List<StepCompleted> Steps)> TrainAsync(
        ActorSystem system, RunSpec spec, int workers = 1, bool trace = false)
    {
        var traces = new List<StepTraced>();
        var steps = new List<StepCompleted>();
        var run = LocalTraining.Start(system, spec, baseDirectory: null, workers, trace);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await run.WaitAsync(e =>
        {
            if (e is StepTraced t) traces.Add(t);
            if (e is StepCompleted s) steps.Add(s);
        }, timeout.Token);
        return (done, traces, steps);
    }

    public static RunSpec Spec(Loss loss, Activation output, int outputs, params (int Size, Activation Activation, int Groups)[] hidden) => new()
    {
        Name = "test",
        Seed = 3,
        Precision = Precision.Float64,
        Data = new DataSpec(),
        Layers = [.. hidden.Select(h => new LayerSpec { Size = h.Size, Activation = h.Activation, Groups = h.Groups }),
                  new LayerSpec { Size = outputs, Activation = output }],
        Loss = loss,
        Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.1),
        BatchSize = 8,
        Epochs = 1,
    };

    /// <summary>Random inputs in [-1, 1] and targets that suit the loss: one-hot rows for
    /// softmax cross-entropy, values in (0, 1) for binary cross-entropy, anything for squares.</summary>
    public static DataSpec RandomData(int rows, int features, int outputs, Loss loss, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[rows][];
        var t = new double[rows][];
        for (var r = 0; r < rows; r++)
        {
            x[r] = Enumerable.Range(0, features).Select(_ => rng.NextDouble(-1, 1)).ToArray();
            t[r] = Enumerable.Range(0, outputs).Select(k => loss switch
            {
                Loss.SoftmaxCrossEntropy => k == r % outputs ? 1.0 : 0.0,
                Loss.BinaryCrossEntropy => rng.NextDouble(0.05, 0.95),
                _ => rng.NextDouble(-0.9, 0.9),
            }).ToArray();
        }
        return new DataSpec { InlineInputs = x, InlineTargets = t };
    }

    public static double MaxRelativeDifference(double[][] a, double[][] b)
    {
        var worst = 0.0;
        for (var l = 0; l < a.Length; l++)
            for (var i = 0; i < a[l].Length; i++)
            {
                var scale = Math.Max(1e-3, Math.Max(Math.Abs(a[l][i]), Math.Abs(b[l][i])));
                worst = Math.Max(worst, Math.Abs(a[l][i] - b[l][i]) / scale);
            }
        return worst;
    }
}

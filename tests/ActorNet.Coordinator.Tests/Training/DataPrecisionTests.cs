using System.Globalization;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>A run in float64 trains on its data file's numbers as written, to the last digit; a
/// run in float32 trains on them rounded to float32, as it always has.</summary>
public sealed class DataPrecisionTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory _dir = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    /// <summary>40 rows of 3 features and a label in 0..2, each number written to 17 significant
    /// digits: thirds, tenths and square roots, none of which float32 holds exactly.</summary>
    public static string CsvText()
    {
        var text = new System.Text.StringBuilder("a,b,c,label\n");
        for (var r = 0; r < 40; r++)
        {
            double a = (r + 1) / 3.0, b = 0.1 * r - 1.3, c = Math.Sqrt(r + 2) / 7;
            text.Append(CultureInfo.InvariantCulture, $"{a:G17},{b:G17},{c:G17},{(r * 7 + 3) % 3}\n");
        }
        return text.ToString();
    }

    private RunSpec Spec(Precision precision)
    {
        var path = _dir.WriteText("thirds.csv", CsvText());
        return new RunSpec
        {
            Name = "thirds",
            Seed = 5,
            Precision = precision,
            Data = new DataSpec { Train = path, Test = path, Scaling = "standardize" },
            Layers = [new LayerSpec { Size = 6, Activation = Activation.Tanh, Groups = 2 }, new LayerSpec { Size = 3, Activation = Activation.Softmax }],
            Loss = Loss.SoftmaxCrossEntropy,
            Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.1),
            BatchSize = 8,
            MicroBatches = 2,
            Epochs = 4,
        };
    }

    /// <summary>The file read by the test itself: the feature cells' texts (rows, 3) row-major and
    /// the labels (rows).</summary>
    private static (string[] Cells, int[] Labels) SplitByHand(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        var cells = new string[lines.Length * 3];
        var y = new int[lines.Length];
        for (var r = 0; r < lines.Length; r++)
        {
            var row = lines[r].Split(',');
            row.AsSpan(0, 3).CopyTo(cells.AsSpan(r * 3));
            y[r] = int.Parse(row[3], CultureInfo.InvariantCulture);
        }
        return (cells, y);
    }

    /// <summary>Each column to (x − mean) / standard deviation (population), two passes in double.</summary>
    private static double[] Standardize(double[] x, int features)
    {
        var rows = x.Length / features;
        var z = new double[x.Length];
        for (var j = 0; j < features; j++)
        {
            double sum = 0, squares = 0;
            for (var r = 0; r < rows; r++) sum += x[r * features + j];
            var mean = sum / rows;
            for (var r = 0; r < rows; r++) squares += (x[r * features + j] - mean) * (x[r * features + j] - mean);
            var std = Math.Sqrt(squares / rows);
            for (var r = 0; r < rows; r++) z[r * features + j] = (x[r * features + j] - mean) / std;
        }
        return z;
    }

    /// <summary>The plain loop in double over the given standardized features: the weights a run
    /// on exactly those values ends with.</summary>
    private static double[][] TrainPlain(RunSpec spec, double[] features, int[] labels)
    {
        var data = DataSet.FromDoubles("by hand", features, 3, labels, 3);
        var layout = ModelLayout.From(spec, 3);
        var plain = new PlainTraining<double>(spec, layout, data, layout.InitialParameters<double>(spec));
        while (plain.Step < plain.Schedule.TotalSteps) plain.TrainStep();
        return plain.Parameters;
    }

    private static double MaxDifference(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        Assert.Equal(a.Count, b.Count);
        var worst = 0.0;
        for (var l = 0; l < a.Count; l++)
        {
            Assert.Equal(a[l].Length, b[l].Length);
            for (var i = 0; i < a[l].Length; i++) worst = Math.Max(worst, Math.Abs(a[l][i] - b[l][i]));
        }
        return worst;
    }

    [Fact]
    public async Task A_float64_run_on_a_csv_file_ends_with_the_weights_of_a_loop_on_the_file_s_digits()
    {
        var spec = Spec(Precision.Float64);
        var (done, _, _) = await TestRuns.TrainAsync(Sys, spec); // LocalTraining, as actornet local runs

        var (cells, y) = SplitByHand(CsvText());
        var x = Array.ConvertAll(cells, c => double.Parse(c, CultureInfo.InvariantCulture));
        var reference = TrainPlain(spec, Standardize(x, 3), y);
        Assert.True(MaxDifference(done.Parameters, reference) <= 1e-12,
            $"the run's weights differ from the float64 reference by {MaxDifference(done.Parameters, reference):G3}");

        // What the run would have ended with had it read the file as float32: far from the reference,
        // so the comparison above tells the two apart.
        var viaFloat32 = TrainPlain(spec, Standardize(Array.ConvertAll(cells, c => (double)float.Parse(c, CultureInfo.InvariantCulture)), 3), y);
        Assert.True(MaxDifference(viaFloat32, reference) > 1e-9, $"float32 data end only {MaxDifference(viaFloat32, reference):G3} away");

        var data = DataCache.Get(spec, baseDirectory: null);
        Assert.Equal(Precision.Float64, data.Train.Precision);
        Assert.Equal(Precision.Float64, data.Test.Precision);
    }

    [Fact]
    public async Task A_float32_run_of_the_same_file_keeps_float32_data_and_its_fingerprint()
    {
        var spec = Spec(Precision.Float32);
        var (done, _, _) = await TestRuns.TrainAsync(Sys, spec);

        var data = DataCache.Get(spec, baseDirectory: null);
        Assert.Equal(Precision.Float32, data.Train.Precision);
        Assert.Throws<InvalidOperationException>(() => data.Train.Features64);
        // The fingerprint this file's standardized float32 training set had before float64 data
        // existed (computed with the build of a9c5071): a float32 run's data have not changed.
        Assert.Equal("0416e1baf23b1f209019fd2f72f85f1fb675f1b903d80bc5842c63985277f02c", data.TrainSha256);
        var raw = DataLoader.Load(spec.Data with { Scaling = "none" }, spec.Seed, Precision.Float32).Train;
        var (cells, _) = SplitByHand(CsvText());
        Assert.Equal(Array.ConvertAll(cells, c => float.Parse(c, CultureInfo.InvariantCulture)), raw.Features);

        // And the run trains on that float32 set: the plain float32 loop over it gives its weights bit for bit.
        var layout = ModelLayout.From(spec, 3);
        var plain = new PlainTraining<float>(spec, layout, data.Train, layout.InitialParameters<float>(spec));
        while (plain.Step < plain.Schedule.TotalSteps) plain.TrainStep();
        for (var l = 0; l < layout.Layers.Count; l++)
            Assert.Equal(plain.Parameters[l].Select(v => (double)v).ToArray(), done.Parameters[l]);
    }
}

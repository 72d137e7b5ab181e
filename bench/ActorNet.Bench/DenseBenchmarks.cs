using ActorNet.Numerics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ActorNet.Bench;

/// <summary>One dense layer's shape: inputs → outputs.</summary>
public sealed record Layer(int Inputs, int Outputs)
{
    public override string ToString() => $"{Inputs}→{Outputs}";
}

/// <summary>
/// The three dense-layer products (float32, single-threaded) at the shapes of a
/// 784-256-128-10 network with batch 64 and 256. Each product is 2·batch·inputs·outputs
/// floating-point operations; the GFLOP/s column divides that by the mean time.
/// Run: dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*Dense*'
/// </summary>
[Config(typeof(DenseConfig))]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser] // shows the kernels allocate nothing per call
public class DenseBenchmarks
{
    public static IEnumerable<Layer> Layers => [new(784, 256), new(256, 128), new(128, 10)];

    [Params(64, 256)] public int Batch;

    [ParamsSource(nameof(Layers))] public Layer Layer = new(784, 256);

    private float[] _x = [], _w = [], _b = [], _y = [], _delta = [], _dw = [], _db = [], _dx = [];

    [GlobalSetup]
    public void Setup() => DenseData.Fill(Batch, Layer, out _x, out _w, out _b, out _y, out _delta, out _dw, out _db, out _dx);

    [Benchmark]
    public void Forward() => Dense.Forward<float>(_y, _x, _w, _b, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark]
    public void WeightGradients() => Dense.AccumulateWeightGradients<float>(_dw, _db, _delta, _x, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark]
    public void InputGradients() => Dense.InputGradients<float>(_dx, _delta, _w, Batch, Layer.Inputs, Layer.Outputs);
}

/// <summary>
/// The fast kernels against the reference triple loops on the largest shape (batch 256,
/// 784 → 256), side by side in one run. Per product (category) the reference is the baseline,
/// so the Ratio column gives the speed-up of the fast kernel over it.
/// </summary>
[Config(typeof(DenseConfig))]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DenseVersusReferenceBenchmarks
{
    [Params(256)] public int Batch;

    public static IEnumerable<Layer> Layers => [new(784, 256)];

    [ParamsSource(nameof(Layers))] public Layer Layer = new(784, 256);

    private float[] _x = [], _w = [], _b = [], _y = [], _delta = [], _dw = [], _db = [], _dx = [];

    [GlobalSetup]
    public void Setup() => DenseData.Fill(Batch, Layer, out _x, out _w, out _b, out _y, out _delta, out _dw, out _db, out _dx);

    [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
    public void ReferenceForward() => DenseReference.Forward<float>(_y, _x, _w, _b, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark, BenchmarkCategory("Forward")]
    public void Forward() => Dense.Forward<float>(_y, _x, _w, _b, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark(Baseline = true), BenchmarkCategory("WeightGradients")]
    public void ReferenceWeightGradients() =>
        DenseReference.AccumulateWeightGradients<float>(_dw, _db, _delta, _x, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark, BenchmarkCategory("WeightGradients")]
    public void WeightGradients() => Dense.AccumulateWeightGradients<float>(_dw, _db, _delta, _x, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark(Baseline = true), BenchmarkCategory("InputGradients")]
    public void ReferenceInputGradients() => DenseReference.InputGradients<float>(_dx, _delta, _w, Batch, Layer.Inputs, Layer.Outputs);

    [Benchmark, BenchmarkCategory("InputGradients")]
    public void InputGradients() => Dense.InputGradients<float>(_dx, _delta, _w, Batch, Layer.Inputs, Layer.Outputs);
}

internal static class DenseData
{
    /// <summary>Seeded random operands in [-1, 1) (gradients start at zero; their growth over
    /// the iterations does not change the work).</summary>
    public static void Fill(int batch, Layer layer, out float[] x, out float[] w, out float[] b, out float[] y,
        out float[] delta, out float[] dw, out float[] db, out float[] dx)
    {
        var rng = new Rng(2024);
        float[] Random(int n)
        {
            var a = new float[n];
            for (var i = 0; i < n; i++) a[i] = (float)rng.NextDouble(-1, 1);
            return a;
        }

        x = Random(batch * layer.Inputs);
        w = Random(layer.Outputs * layer.Inputs);
        b = Random(layer.Outputs);
        delta = Random(batch * layer.Outputs);
        y = new float[batch * layer.Outputs];
        dw = new float[layer.Outputs * layer.Inputs];
        db = new float[layer.Outputs];
        dx = new float[batch * layer.Inputs];
    }
}

/// <summary>Adds GFLOP/s at the mean and at the fastest iteration, and the min and median
/// times: the machine these run on is shared, and other work slows some iterations; the
/// fastest iteration is the best estimate of what the kernel itself does. Ratios print as
/// "N× faster" (the reference is the baseline).</summary>
public sealed class DenseConfig : ManualConfig
{
    public DenseConfig()
    {
        AddColumn(StatisticColumn.Min, StatisticColumn.Median, new GflopsColumn(fastest: false), new GflopsColumn(fastest: true));
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }
}

/// <summary>2·batch·inputs·outputs / time (mean or fastest iteration), from the Batch and
/// Layer parameters.</summary>
public sealed class GflopsColumn(bool fastest) : IColumn
{
    public string Id => nameof(GflopsColumn) + (fastest ? ".Min" : ".Mean");
    public string ColumnName => fastest ? "GFLOP/s (best)" : "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second in 10^9, 2·batch·inputs·outputs / " + (fastest ? "the fastest iteration" : "the mean");

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        var time = fastest ? statistics?.Min : statistics?.Mean; // nanoseconds
        if (time is not { } ns || ns <= 0) return "NA";
        var batch = (int)benchmarkCase.Parameters["Batch"];
        var layer = (Layer)benchmarkCase.Parameters["Layer"];
        var flops = 2.0 * batch * layer.Inputs * layer.Outputs;
        return (flops / ns).ToString("F1", System.Globalization.CultureInfo.InvariantCulture); // flops per ns = GFLOP/s
    }
}

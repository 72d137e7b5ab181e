using ActorNet.Numerics;
using BenchmarkDotNet.Attributes;

namespace ActorNet.Bench;

/// <summary>
/// One optimizer step over the 784 → 4096 layer of the checkpoint benchmark's model (3.2 million
/// float32 parameters), as a coordinator's parameter shard runs it every step: the vector loops
/// of <see cref="Optimizers.Apply{T}"/> against the one-element-at-a-time definition they
/// reproduce bit for bit (<c>OptimizerTests</c>).
/// Run: dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*OptimizerBenchmarks*'
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class OptimizerBenchmarks
{
    private const int N = 784 * 4096 + 4096;
    private readonly float[] _p = new float[N], _g = new float[N], _m = new float[N], _v = new float[N];

    [Params(OptimizerKind.Momentum, OptimizerKind.Adam)]
    public OptimizerKind Kind { get; set; }

    private OptimizerSettings Settings => new(Kind, 0.001, WeightDecay: 1e-4);
    private Span<float> Second => Kind == OptimizerKind.Adam ? _v : [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(4);
        for (var i = 0; i < N; i++)
        {
            _p[i] = (float)rng.NextDouble(-0.1, 0.1);
            _g[i] = (float)rng.NextDouble(-0.01, 0.01);
        }
    }

    [Benchmark(Baseline = true)]
    public void OneElementAtATime() => Optimizers.ApplyScalar<float>(Settings, _p, _g, _m, Second, 10, decay: true);

    [Benchmark]
    public void Vectors() => Optimizers.Apply<float>(Settings, _p, _g, _m, Second, 10, decay: true);
}

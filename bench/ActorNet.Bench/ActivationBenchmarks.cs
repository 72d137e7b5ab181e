using ActorNet.Numerics;
using BenchmarkDotNet.Attributes;

namespace ActorNet.Bench;

/// <summary>
/// ReLU forward and backward (float32) over a (512, 256) layer, the first hidden layer of
/// 784-256-128-10 for one of two workers at global batch 1024: the kernels against the
/// one-branch-per-element loops they replaced, which remain the definition
/// (<c>ActivationTests</c> checks that the two agree bit for bit). Pre-activations are random in
/// [-1, 1), so the branch goes either way at random, as in training.
/// Run: dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*ActivationBenchmarks*'
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class ActivationBenchmarks
{
    private const int Batch = 512, Width = 256;
    private readonly float[] _z = new float[Batch * Width], _a = new float[Batch * Width];
    private readonly float[] _da = new float[Batch * Width], _dz = new float[Batch * Width];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(5);
        for (var i = 0; i < _z.Length; i++)
        {
            _z[i] = (float)rng.NextDouble(-1, 1);
            _da[i] = (float)rng.NextDouble(-1, 1);
        }
    }

    [Benchmark(Baseline = true)]
    public void BranchPerElement()
    {
        for (var i = 0; i < _z.Length; i++) _a[i] = _z[i] < 0 ? 0 : _z[i];
        for (var i = 0; i < _z.Length; i++) _dz[i] = _z[i] > 0 ? _da[i] : 0;
    }

    [Benchmark]
    public void Kernels()
    {
        Activations.Forward<float>(Activation.Relu, _a, _z, Batch, Width);
        Activations.Backward<float>(Activation.Relu, _dz, _da, _z, _a, Batch, Width);
    }
}

using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using BenchmarkDotNet.Attributes;

namespace ActorNet.Bench;

/// <summary>
/// The test-set evaluation a run makes at every epoch end while training waits: Fashion-MNIST's
/// 10,000 test rows (random values of its shape) through 784-256-128-10 ReLU, float32, in
/// chunks of 512 rows. <see cref="Inference.Evaluate{T}"/> on one thread and on every core,
/// against the loop it replaced: one thread, each chunk gathered into new arrays and run through
/// <see cref="Inference.Forward{T}"/> (which allocates each layer's outputs).
/// Run: dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*InferenceBenchmarks*'
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private const int Rows = 10_000, Features = 784, Chunk = 512;
    private readonly ModelLayout _layout = new(Features,
        [new LayerShape(784, 256, Activation.Relu, 1), new LayerShape(256, 128, Activation.Relu, 1), new LayerShape(128, 10, Activation.Softmax, 1)]);
    private DataSet _data = null!;
    private float[][] _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(7);
        var x = new float[Rows * Features];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble(0, 1);
        var labels = new int[Rows];
        for (var i = 0; i < Rows; i++) labels[i] = (int)(rng.NextDouble(0, 1) * 10);
        _data = new DataSet("fashion-mnist-shaped", x, Features, labels, 10);
        _parameters = _layout.Layers.Select(s =>
        {
            var p = new float[s.ParameterCount];
            Initializers.Fill(Initializer.HeNormal, s.Weights(p), s.Inputs, s.Outputs, new Rng(3));
            return p;
        }).ToArray();
    }

    [Benchmark(Baseline = true)]
    public double AllocatingLoop()
    {
        double lossSum = 0;
        for (var start = 0; start < Rows; start += Chunk)
        {
            var indices = Enumerable.Range(start, Math.Min(Chunk, Rows - start)).ToArray();
            var (x, targets, _) = Batches.Gather<float>(_data, indices, 10);
            lossSum += Losses.Sum<float>(Loss.SoftmaxCrossEntropy, Inference.Forward(_layout, _parameters, x, indices.Length), targets, indices.Length, 10);
        }
        return lossSum;
    }

    [Benchmark]
    public double OneThread() => Inference.Evaluate<float>(_layout, _parameters, Loss.SoftmaxCrossEntropy, _data, Chunk, threads: 1).Loss;

    [Benchmark]
    public double EveryCore() => Inference.Evaluate<float>(_layout, _parameters, Loss.SoftmaxCrossEntropy, _data, Chunk).Loss;
}

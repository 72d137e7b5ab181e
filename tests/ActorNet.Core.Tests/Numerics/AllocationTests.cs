using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

/// <summary>The kernels run once per layer per mini-batch on every worker: their normal path must not
/// allocate (argument checks included; their messages are only formatted on failure).</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Kernels_do_not_allocate()
    {
        const int batch = 4, n = 8;
        var z = new float[batch * n];
        var a = new float[batch * n];
        var d = new float[batch * n];
        var t = new float[batch * n];
        for (var i = 0; i < z.Length; i++) { z[i] = i * 0.1f - 1.5f; t[i] = i % n == 0 ? 1 : 0; }
        var p = new float[batch * n];
        var m = new float[batch * n];
        var v = new float[batch * n];
        var adam = new OptimizerSettings(OptimizerKind.Adam, 0.01, WeightDecay: 0.1);
        var nesterov = new OptimizerSettings(OptimizerKind.Momentum, 0.01, Nesterov: true);
        var rng = new Rng(1);
        var activations = Enum.GetValues<Activation>();   // allocates, so outside the measured region

        void RunAll()
        {
            foreach (var f in activations)
            {
                Activations.Forward<float>(f, a, z, batch, n);
                Activations.Backward<float>(f, d, t, z, a, batch, n);
                Losses.OutputDelta<float>(Loss.MeanSquaredError, f, d, z, a, t, batch, n);
            }
            Activations.Forward<float>(Activation.Softmax, a, z, batch, n);
            Losses.OutputDelta<float>(Loss.SoftmaxCrossEntropy, Activation.Softmax, d, z, a, t, batch, n);
            _ = Losses.Sum<float>(Loss.SoftmaxCrossEntropy, a, t, batch, n);
            _ = Losses.Sum<float>(Loss.BinaryCrossEntropy, a, t, batch, n);
            Initializers.Fill<float>(Initializer.HeNormal, p, n, batch, rng);
            Optimizers.Apply<float>(adam, p, d, m, v, 3, decay: true);
            Optimizers.Apply<float>(nesterov, p, d, m, [], 3, decay: true);
        }

        RunAll();   // JIT and static initialisers first
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

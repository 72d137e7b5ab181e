using System.Numerics;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

public sealed class LossTestsSingle : LossTests<float>;

public sealed class LossTestsDouble : LossTests<double>;

/// <summary>Loss kernels in T, checked against double-precision references.</summary>
public abstract class LossTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Batch = 3;
    private const int N = 5;

    [Theory]
    [MemberData(nameof(NumericsCases.AllowedCombinations), MemberType = typeof(NumericsCases))]
    public void OutputDelta_matches_central_difference_of_Sum_through_Forward(Loss loss, Activation activation)
    {
        var rng = new Rng(2024);
        var zd = new double[Batch * N];
        for (var i = 0; i < zd.Length; i++)
        {
            // Keep away from the ReLU-family kink at 0 so the difference quotient is one-sided-free.
            double v;
            do { v = rng.NextDouble(-2.5, 2.5); } while (Math.Abs(v) < 0.05);
            zd[i] = v;
        }
        var td = Targets(loss, rng);
        // Rounded to T so that the double reference sees exactly the kernel's inputs.
        zd = Num.ToDouble<T>(Num.From<T>(zd));
        td = Num.ToDouble<T>(Num.From<T>(td));

        var z = Num.From<T>(zd);
        var t = Num.From<T>(td);
        var o = new T[z.Length];
        var delta = new T[z.Length];
        Activations.Forward<T>(activation, o, z, Batch, N);
        Losses.OutputDelta<T>(loss, activation, delta, z, o, t, Batch, N);

        double E(double[] x) => Losses.Sum<double>(loss, Num.ForwardDouble(activation, x, Batch, N), td, Batch, N);

        var (abs, rel) = Num.GradientTolerance<T>();
        for (var i = 0; i < zd.Length; i++)
        {
            var expected = Num.CentralDifference(E, zd, i);
            Num.Close(expected, double.CreateChecked(delta[i]), abs, rel,
                $"{Losses.Name(loss)} with {Activations.Name(activation)}: δ[{i}] at z = {zd[i]}, t = {td[i]}");
        }
    }

    /// <summary>Targets each loss is meant for: rows that are distributions (one one-hot, two soft)
    /// for softmax cross-entropy; values in [0, 1] including exact 0 and 1 for binary cross-entropy;
    /// anything in [-1, 1] for the squared errors.</summary>
    private static double[] Targets(Loss loss, Rng rng)
    {
        var t = new double[Batch * N];
        switch (loss)
        {
            case Loss.SoftmaxCrossEntropy:
                t[2] = 1;   // row 0 one-hot
                for (var r = 1; r < Batch; r++)
                {
                    var sum = 0.0;
                    for (var j = 0; j < N; j++) sum += t[r * N + j] = rng.NextDouble(0.1, 1);
                    for (var j = 0; j < N; j++) t[r * N + j] /= sum;
                }
                break;
            case Loss.BinaryCrossEntropy:
                for (var i = 0; i < t.Length; i++) t[i] = rng.NextDouble();
                t[0] = 0;
                t[1] = 1;
                break;
            default:
                for (var i = 0; i < t.Length; i++) t[i] = rng.NextDouble(-1, 1);
                break;
        }
        return t;
    }

    [Fact]
    public void HalfSumSquares_reproduces_the_article()
    {
        // M. Mazur, "A Step by Step Backpropagation Example" (2015): out_o1 = 0.75136507,
        // out_o2 = 0.772928465, targets 0.01 and 0.99, E_total = 0.298371109.
        var sum = Losses.Sum<T>(Loss.HalfSumSquares, Num.From<T>(0.75136507, 0.772928465), Num.From<T>(0.01, 0.99), 1, 2);
        Assert.Equal(0.298371109, sum, Num.IsSingle<T>() ? 1e-7 : 1e-9);
    }

    [Fact]
    public void The_article_network_forward_delta_and_update()
    {
        // The article's 2-2-2 logistic network: inputs 0.05, 0.10; w1..w4 = .15 .20 .25 .30, b1 = .35;
        // w5..w8 = .40 .45 .50 .55, b2 = .60; targets 0.01, 0.99; η = 0.5. Its numbers: out_h1 =
        // 0.593269992, out_o1 = 0.75136507, δ_o1 = (out_o1 − t1)·out_o1·(1 − out_o1) = 0.138498562,
        // ∂E/∂w5 = δ_o1·out_h1 = 0.082167041, and w5 after one step 0.35891648.
        var x = new[] { 0.05, 0.10 };
        var zh = Num.From<T>(0.15 * x[0] + 0.20 * x[1] + 0.35, 0.25 * x[0] + 0.30 * x[1] + 0.35);
        var h = new T[2];
        Activations.Forward<T>(Activation.Logistic, h, zh, 1, 2);
        var h1 = double.CreateChecked(h[0]);
        var h2 = double.CreateChecked(h[1]);
        var zo = Num.From<T>(0.40 * h1 + 0.45 * h2 + 0.60, 0.50 * h1 + 0.55 * h2 + 0.60);
        var o = new T[2];
        Activations.Forward<T>(Activation.Logistic, o, zo, 1, 2);
        var delta = new T[2];
        var target = Num.From<T>(0.01, 0.99);
        Losses.OutputDelta<T>(Loss.HalfSumSquares, Activation.Logistic, delta, zo, o, target, 1, 2);

        var precision = Num.IsSingle<T>() ? 1e-6 : 1e-9;
        Assert.Equal(0.593269992, h1, precision);
        Assert.Equal(0.75136507, double.CreateChecked(o[0]), precision);
        Assert.Equal(0.772928465, double.CreateChecked(o[1]), precision);
        Assert.Equal(0.298371109, Losses.Sum<T>(Loss.HalfSumSquares, o, target, 1, 2), precision);
        Assert.Equal(0.138498562, double.CreateChecked(delta[0]), precision);

        var w5 = Num.From<T>(0.40);
        var grad = Num.From<T>(double.CreateChecked(delta[0]) * h1);
        Assert.Equal(0.082167041, double.CreateChecked(grad[0]), precision);
        Optimizers.Apply<T>(new OptimizerSettings(OptimizerKind.Sgd, 0.5), w5, grad, [], [], 1, decay: true);
        Assert.Equal(0.35891648, double.CreateChecked(w5[0]), precision);
    }

    [Fact]
    public void Sums_over_the_batch_of_per_sample_losses()
    {
        // Two samples of n = 2: o = (0.2, 0.8), (0.6, 0.4); t = (0, 1), (1, 0).
        var o = Num.From<T>(0.2, 0.8, 0.6, 0.4);
        var t = Num.From<T>(0, 1, 1, 0);
        var o64 = Num.ToDouble<T>(o);
        double Sq(int i) => (Num.ToDouble<T>(t)[i] - o64[i]) * (Num.ToDouble<T>(t)[i] - o64[i]);
        var sq = Sq(0) + Sq(1) + Sq(2) + Sq(3);
        var precision = 1e-12;
        Assert.Equal(0.5 * sq, Losses.Sum<T>(Loss.HalfSumSquares, o, t, 2, 2), precision);
        Assert.Equal(sq / 2, Losses.Sum<T>(Loss.MeanSquaredError, o, t, 2, 2), precision);
        Assert.Equal(-Math.Log(o64[1]) - Math.Log(o64[2]), Losses.Sum<T>(Loss.SoftmaxCrossEntropy, o, t, 2, 2), precision);
        Assert.Equal(-Math.Log(1 - o64[0]) - Math.Log(o64[1]) - Math.Log(o64[2]) - Math.Log(1 - o64[3]),
                     Losses.Sum<T>(Loss.BinaryCrossEntropy, o, t, 2, 2), precision);
    }

    [Fact]
    public void Cross_entropy_of_a_saturated_wrong_output_is_large_but_finite()
    {
        var clamp = double.CreateChecked(Losses.LogClamp<T>());
        Assert.Equal(Num.IsSingle<T>() ? 1e-7 : 1e-15, clamp, 1e-7 * clamp);
        var ce = Losses.Sum<T>(Loss.SoftmaxCrossEntropy, Num.From<T>(1, 0), Num.From<T>(0, 1), 1, 2);
        Assert.Equal(-Math.Log(clamp), ce, 1e-9);
        var bce = Losses.Sum<T>(Loss.BinaryCrossEntropy, Num.From<T>(1, 0), Num.From<T>(0, 1), 1, 2);
        Assert.Equal(-2 * Math.Log(clamp), bce, 1e-9);
        // And a perfect answer costs nothing (the t = 0 and t = 1 terms drop out exactly).
        Assert.Equal(0.0, Losses.Sum<T>(Loss.BinaryCrossEntropy, Num.From<T>(0, 1), Num.From<T>(0, 1), 1, 2));
    }

    [Fact]
    public void Fused_deltas_are_output_minus_target()
    {
        var z = Num.From<T>(3, -1, 0.5, 2);
        var t = Num.From<T>(0, 1, 0, 0);
        foreach (var (loss, activation) in new[] { (Loss.SoftmaxCrossEntropy, Activation.Softmax), (Loss.BinaryCrossEntropy, Activation.Logistic) })
        {
            var o = new T[4];
            var delta = new T[4];
            Activations.Forward<T>(activation, o, z, 1, 4);
            Losses.OutputDelta<T>(loss, activation, delta, z, o, t, 1, 4);
            for (var i = 0; i < 4; i++) Assert.Equal(o[i] - t[i], delta[i]);
        }
    }

    [Fact]
    public void Mismatched_output_activations_are_named_and_refused()
    {
        Assert.Equal("softmaxCrossEntropy needs a softmax output layer, not 'relu'",
                     Losses.CheckOutputActivation(Loss.SoftmaxCrossEntropy, Activation.Relu));
        Assert.Equal("binaryCrossEntropy needs a logistic output layer, not 'softmax'",
                     Losses.CheckOutputActivation(Loss.BinaryCrossEntropy, Activation.Softmax));
        foreach (var a in Enum.GetValues<Activation>())
        {
            Assert.Null(Losses.CheckOutputActivation(Loss.HalfSumSquares, a));
            Assert.Null(Losses.CheckOutputActivation(Loss.MeanSquaredError, a));
        }
        Assert.Null(Losses.CheckOutputActivation(Loss.SoftmaxCrossEntropy, Activation.Softmax));
        Assert.Null(Losses.CheckOutputActivation(Loss.BinaryCrossEntropy, Activation.Logistic));

        var ex = Assert.Throws<ArgumentException>(() =>
            Losses.OutputDelta<T>(Loss.SoftmaxCrossEntropy, Activation.Tanh, new T[2], new T[2], new T[2], new T[2], 1, 2));
        Assert.Equal("activation", ex.ParamName);
        Assert.Contains("needs a softmax output layer, not 'tanh'", ex.Message);
    }

    [Fact]
    public void Span_lengths_are_validated()
    {
        var ex = Assert.Throws<ArgumentException>(() => Losses.Sum<T>(Loss.HalfSumSquares, new T[4], new T[3], 2, 2));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("3 elements; expected 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Losses.OutputDelta<T>(Loss.HalfSumSquares, Activation.Identity, new T[3], new T[4], new T[4], new T[4], 2, 2));
        Assert.Equal("delta", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            Losses.OutputDelta<T>(Loss.HalfSumSquares, Activation.Identity, new T[4], new T[4], new T[5], new T[4], 2, 2));
        Assert.Equal("output", ex.ParamName);
    }
}

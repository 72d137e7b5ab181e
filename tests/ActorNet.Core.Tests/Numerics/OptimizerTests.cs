using System.Numerics;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

public sealed class OptimizerTestsSingle : OptimizerTests<float>;

public sealed class OptimizerTestsDouble : OptimizerTests<double>;

/// <summary>Single steps worked out by hand (the arithmetic is in the comments) from
/// p = (1, −2), g = (0.5, 0.25), η = 0.1, μ = 0.9, λ = 0.1.</summary>
public abstract class OptimizerTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static double Precision => Num.IsSingle<T>() ? 1e-6 : 1e-12;

    private static void AssertClose(double[] expected, T[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Num.Close(expected[i], double.CreateChecked(actual[i]), Precision, 0, $"{what}[{i}]");
    }

    [Theory]
    // p − η·g = (1 − 0.05, −2 − 0.025)
    [InlineData(false, 0.95, -2.025)]
    // g + λ·p = (0.5 + 0.1, 0.25 − 0.2) = (0.6, 0.05); p − η·that = (0.94, −2.005)
    [InlineData(true, 0.94, -2.005)]
    public void Sgd_step(bool decay, double p0, double p1)
    {
        var p = Num.From<T>(1, -2);
        Optimizers.Apply<T>(new OptimizerSettings(OptimizerKind.Sgd, 0.1, WeightDecay: 0.1), p, Num.From<T>(0.5, 0.25), [], [], 1, decay);
        AssertClose([p0, p1], p, "p");
    }

    [Theory]
    // v = μ·v0 + g = (0.18 + 0.5, −0.09 + 0.25) = (0.68, 0.16); p − η·v = (0.932, −2.016)
    [InlineData(false, false, 0.68, 0.16, 0.932, -2.016)]
    // Nesterov, same v; p − η·(g + μ·v) = (1 − 0.1·(0.5 + 0.612), −2 − 0.1·(0.25 + 0.144)) = (0.8888, −2.0394)
    [InlineData(true, false, 0.68, 0.16, 0.8888, -2.0394)]
    // With decay g = (0.6, 0.05): v = (0.78, −0.04); p = (0.922, −1.996)
    [InlineData(false, true, 0.78, -0.04, 0.922, -1.996)]
    // Nesterov with decay: p = (1 − 0.1·(0.6 + 0.702), −2 − 0.1·(0.05 − 0.036)) = (0.8698, −2.0014)
    [InlineData(true, true, 0.78, -0.04, 0.8698, -2.0014)]
    public void Momentum_step(bool nesterov, bool decay, double v0, double v1, double p0, double p1)
    {
        var p = Num.From<T>(1, -2);
        var v = Num.From<T>(0.2, -0.1);   // velocity from an earlier step
        var settings = new OptimizerSettings(OptimizerKind.Momentum, 0.1, Momentum: 0.9, Nesterov: nesterov, WeightDecay: 0.1);
        Optimizers.Apply<T>(settings, p, Num.From<T>(0.5, 0.25), v, [], 2, decay);
        AssertClose([v0, v1], v, "v");
        AssertClose([p0, p1], p, "p");
    }

    [Fact]
    public void Adam_first_two_steps()
    {
        // t = 1, g = (0.5, 0.25): m = 0.1·g = (0.05, 0.025), v = 0.001·g² = (2.5e-4, 6.25e-5);
        // m̂ = m/0.1 = g, v̂ = v/0.001 = g², so p −= η·g/(|g| + ε) = η·sign(g)·|g|/(|g| + 1e-8):
        // p = (1 − 0.1·0.5/(0.5 + 1e-8), −2 − 0.1·0.25/(0.25 + 1e-8)) = (0.900000002, −2.099999996).
        // t = 2, g = (0.3, −0.4): m = 0.9·m + 0.1·g = (0.075, −0.0175);
        // v = 0.999·v + 0.001·g² = (3.3975e-4, 2.224375e-4); m̂ = m/(1 − 0.81) = m/0.19,
        // v̂ = v/(1 − 0.998001) = v/0.001999: p0 = 0.900000002 − 0.1·0.39473684/(0.41225720 + 1e-8)
        // = 0.80425099, p1 = −2.099999996 + 0.1·0.09210526/(0.33357618 + 1e-8) = −2.07238870.
        var settings = new OptimizerSettings(OptimizerKind.Adam, 0.1);
        var p = Num.From<T>(1, -2);
        var m = new T[2];
        var v = new T[2];
        Optimizers.Apply<T>(settings, p, Num.From<T>(0.5, 0.25), m, v, 1, decay: false);
        AssertClose([0.05, 0.025], m, "m1");
        AssertClose([2.5e-4, 6.25e-5], v, "v1");
        AssertClose([0.900000002, -2.099999996], p, "p1");
        Optimizers.Apply<T>(settings, p, Num.From<T>(0.3, -0.4), m, v, 2, decay: false);
        AssertClose([0.075, -0.0175], m, "m2");
        AssertClose([3.3975e-4, 2.224375e-4], v, "v2");
        AssertClose([0.8042509867088761, -2.0723886976243526], p, "p2");
    }

    [Fact]
    public void Adam_first_two_steps_with_weight_decay()
    {
        // L2 in the gradient, λ = 0.1. t = 1: g = (0.5 + 0.1, 0.25 − 0.2) = (0.6, 0.05);
        // m = (0.06, 0.005), v = (3.6e-4, 2.5e-6); p = (1 − 0.1·0.6/(0.6 + 1e-8), −2 − 0.1·0.05/(0.05 + 1e-8))
        // = (0.9000000016667, −2.09999998). t = 2: g = (0.3 + 0.09, −0.4 − 0.21) = (0.39, −0.61),
        // m = (0.093, −0.0565), v = (5.1174e-4, 3.7459750e-4) (to 8 digits),
        // p = (0.80325889, −2.03130598) as in the plain case's formula.
        var settings = new OptimizerSettings(OptimizerKind.Adam, 0.1, WeightDecay: 0.1);
        var p = Num.From<T>(1, -2);
        var m = new T[2];
        var v = new T[2];
        Optimizers.Apply<T>(settings, p, Num.From<T>(0.5, 0.25), m, v, 1, decay: true);
        AssertClose([0.06, 0.005], m, "m1");
        AssertClose([0.9000000016666666, -2.099999980000004], p, "p1");
        Optimizers.Apply<T>(settings, p, Num.From<T>(0.3, -0.4), m, v, 2, decay: true);
        AssertClose([0.09300000001666664, -0.05649999980000004], m, "m2");
        AssertClose([0.0005117400001300004, 0.00037459749756000096], v, "v2");
        AssertClose([0.8032588944376974, -2.031305981471728], p, "p2");
    }

    [Fact]
    public void Decay_flag_off_ignores_weight_decay()
    {
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            var with = Num.From<T>(1, -2);
            var without = Num.From<T>(1, -2);
            var slots = Optimizers.StateSlots(kind);
            Optimizers.Apply<T>(new OptimizerSettings(kind, 0.1, WeightDecay: 0.5), with, Num.From<T>(0.5, 0.25),
                new T[slots >= 1 ? 2 : 0], new T[slots >= 2 ? 2 : 0], 1, decay: false);
            Optimizers.Apply<T>(new OptimizerSettings(kind, 0.1), without, Num.From<T>(0.5, 0.25),
                new T[slots >= 1 ? 2 : 0], new T[slots >= 2 ? 2 : 0], 1, decay: false);
            Assert.Equal(without, with);
        }
    }

    [Fact]
    public void Adam_minimises_a_quadratic()
    {
        // f(p) = Σ c_i·(p_i − a_i)² with curvatures spread over four orders of magnitude, which
        // plain SGD at one learning rate could not handle; Adam's per-coordinate scaling can.
        var c = new[] { 100.0, 1.0, 0.01, 10.0 };
        var a = new[] { 3.0, -1.0, 0.5, -2.0 };
        var p = new T[4];
        var g = new T[4];
        var m = new T[4];
        var v = new T[4];
        var settings = new OptimizerSettings(OptimizerKind.Adam, 0.05);
        for (var t = 1; t <= 3000; t++)
        {
            for (var i = 0; i < 4; i++) g[i] = T.CreateChecked(2 * c[i] * (double.CreateChecked(p[i]) - a[i]));
            Optimizers.Apply<T>(settings, p, g, m, v, t, decay: false);
        }
        for (var i = 0; i < 4; i++) Assert.Equal(a[i], double.CreateChecked(p[i]), 0.02);
    }

    [Fact]
    public void State_slots_per_kind()
    {
        Assert.Equal(0, Optimizers.StateSlots(OptimizerKind.Sgd));
        Assert.Equal(1, Optimizers.StateSlots(OptimizerKind.Momentum));
        Assert.Equal(2, Optimizers.StateSlots(OptimizerKind.Adam));
    }

    [Fact]
    public void Arguments_are_validated()
    {
        var adam = new OptimizerSettings(OptimizerKind.Adam, 0.1);
        var ex = Assert.Throws<ArgumentException>(() => Optimizers.Apply<T>(adam, new T[3], new T[2], new T[3], new T[3], 1, true));
        Assert.Equal("gradients", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Optimizers.Apply<T>(adam, new T[3], new T[3], new T[3], new T[0], 1, true));
        Assert.Equal("second", ex.ParamName);
        Assert.Contains("expected 3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Optimizers.Apply<T>(new OptimizerSettings(OptimizerKind.Sgd, 0.1), new T[3], new T[3], new T[3], [], 1, true));
        Assert.Equal("first", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Apply<T>(adam, new T[3], new T[3], new T[3], new T[3], 0, true));
        ex = Assert.Throws<ArgumentException>(() =>
            Optimizers.Apply<T>(adam with { Beta2 = 1.0 }, new T[3], new T[3], new T[3], new T[3], 1, true));
        Assert.Equal("settings", ex.ParamName);
        Assert.Contains("beta2", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            Optimizers.Apply<T>(adam with { LearningRate = double.NaN }, new T[3], new T[3], new T[3], new T[3], 1, true));
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, false, false)]
    [InlineData(OptimizerKind.Sgd, false, true)]
    [InlineData(OptimizerKind.Momentum, false, false)]
    [InlineData(OptimizerKind.Momentum, false, true)]
    [InlineData(OptimizerKind.Momentum, true, true)]
    [InlineData(OptimizerKind.Adam, false, false)]
    [InlineData(OptimizerKind.Adam, false, true)]
    public void Vector_loops_give_the_scalar_definition_bit_for_bit(OptimizerKind kind, bool nesterov, bool decay)
    {
        // 1,000 + 5 elements: whole vectors of any width, then a scalar tail; values of mixed
        // sign and size, zeros, and state from earlier steps; step 1 and a late step.
        const int n = 1005;
        var settings = new OptimizerSettings(kind, 0.01, Momentum: 0.9, Nesterov: nesterov, WeightDecay: 0.05);
        var slots = Optimizers.StateSlots(kind);
        var rng = new Rng(21);
        T[] Random(double scale) => Enumerable.Range(0, n).Select(i => i % 97 == 0 ? T.Zero : T.CreateChecked(rng.NextDouble(-scale, scale))).ToArray();
        foreach (var step in new long[] { 1, 1234 })
        {
            var p = Random(2);
            var g = Random(0.5);
            var m = slots >= 1 ? Random(0.3) : [];
            var v = slots >= 2 ? Random(0.3).Select(T.Abs).ToArray() : [];
            var (p2, m2, v2) = ((T[])p.Clone(), (T[])m.Clone(), (T[])v.Clone());

            Optimizers.Apply<T>(settings, p, g, m, v, step, decay);
            Optimizers.ApplyScalar<T>(settings, p2, g, m2, v2, step, decay);

            Assert.Equal(Bits(p2), Bits(p));
            Assert.Equal(Bits(m2), Bits(m));
            Assert.Equal(Bits(v2), Bits(v));
            Assert.Contains(p, x => x != T.Zero); // the update did something
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, false)]
    [InlineData(OptimizerKind.Momentum, true)]
    [InlineData(OptimizerKind.Adam, true)]
    public void A_scaled_sum_into_another_array_gives_the_bits_of_the_stored_mean_in_place(OptimizerKind kind, bool decay)
    {
        // What a parameter shard does: the gradient sum of 37 rows and 1/37, written into its
        // spare array, against the mean stored first and the update in place.
        const int n = 1005;
        var settings = new OptimizerSettings(kind, 0.01, Momentum: 0.9, WeightDecay: 0.05);
        var slots = Optimizers.StateSlots(kind);
        var rng = new Rng(5);
        T[] Random(double scale) => Enumerable.Range(0, n).Select(_ => T.CreateChecked(rng.NextDouble(-scale, scale))).ToArray();
        var p = Random(2);
        var sum = Random(20);
        var m = slots >= 1 ? Random(0.3) : [];
        var v = slots >= 2 ? Random(0.3).Select(T.Abs).ToArray() : [];
        var scale = T.One / T.CreateChecked(37);
        var (inPlace, m2, v2) = ((T[])p.Clone(), (T[])m.Clone(), (T[])v.Clone());
        var mean = sum.Select(x => x * scale).ToArray();
        var before = (T[])p.Clone();

        var next = new T[n];
        Optimizers.Apply<T>(settings, p, next, sum, scale, m, v, 7, decay);
        Optimizers.Apply<T>(settings, inPlace, mean, m2, v2, 7, decay);

        Assert.Equal(Bits(inPlace), Bits(next));
        Assert.Equal(Bits(m2), Bits(m));
        Assert.Equal(Bits(v2), Bits(v));
        Assert.Equal(Bits(before), Bits(p)); // the current array is only read
    }

    private static string[] Bits(T[] values) => values.Select(x => double.CreateChecked(x).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

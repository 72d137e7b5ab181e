using System.Numerics;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

public sealed class ActivationTestsSingle : ActivationTests<float>;

public sealed class ActivationTestsDouble : ActivationTests<double>;

/// <summary>Activation kernels in T, checked against double-precision references.</summary>
public abstract class ActivationTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Row 0: chosen points from saturated negative through the kinks' neighbourhood (but at least
    // 1e-3 from 0, so that a central difference of step ≤ 1e-6·max(1,|z|) never straddles a kink)
    // to saturated positive. Rows 1 and 2: random points in [-4, 4).
    private static readonly double[] Points =
        [-50, -20, -5, -1.5, -1, -0.3, -1e-2, -1e-3, 1e-3, 1e-2, 0.3, 1, 1.5, 5, 20, 50];

    private const int N = 16;
    private const int Batch = 3;

    private static double[] TestInputs()
    {
        var rng = new Rng(7);
        var z = new double[Batch * N];
        Points.CopyTo(z, 0);
        for (var i = N; i < z.Length; i++) z[i] = rng.NextDouble(-4, 4);
        // Rounded to T so that the double reference sees exactly the kernel's inputs.
        return Num.ToDouble<T>(Num.From<T>(z));
    }

    [Theory]
    [MemberData(nameof(NumericsCases.AllActivations), MemberType = typeof(NumericsCases))]
    public void Backward_matches_central_difference_of_forward(Activation f)
    {
        // The vector-Jacobian product for a random upstream da, checked coordinate by coordinate
        // against d/dz_i of L(z) = Σ_j da_j·f(z)_j. For element-wise f only a_i moves; for softmax
        // the whole row does, so this checks the full VJP, not just the diagonal.
        var zd = TestInputs();
        var rng = new Rng(11);
        var dad = new double[zd.Length];
        for (var i = 0; i < dad.Length; i++) dad[i] = rng.NextDouble(-1, 1);
        dad = Num.ToDouble<T>(Num.From<T>(dad));

        var z = Num.From<T>(zd);
        var da = Num.From<T>(dad);
        var a = new T[z.Length];
        var dz = new T[z.Length];
        Activations.Forward<T>(f, a, z, Batch, N);
        Activations.Backward<T>(f, dz, da, z, a, Batch, N);

        double L(double[] x)
        {
            var ax = Num.ForwardDouble(f, x, Batch, N);
            var s = 0.0;
            for (var j = 0; j < ax.Length; j++) s += dad[j] * ax[j];
            return s;
        }

        var (abs, rel) = Num.GradientTolerance<T>();
        for (var i = 0; i < zd.Length; i++)
        {
            var expected = Num.CentralDifference(L, zd, i);
            Num.Close(expected, double.CreateChecked(dz[i]), abs, rel, $"{Activations.Name(f)}: dz[{i}] at z = {zd[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(NumericsCases.AllActivations), MemberType = typeof(NumericsCases))]
    public void Backward_in_place_over_da_gives_the_same_result(Activation f)
    {
        // Losses.OutputDelta runs Backward with dz and da the same span.
        var z = Num.From<T>(TestInputs());
        var a = new T[z.Length];
        Activations.Forward<T>(f, a, z, Batch, N);
        var da = new T[z.Length];
        var rng = new Rng(3);
        for (var i = 0; i < da.Length; i++) da[i] = T.CreateChecked(rng.NextDouble(-1, 1));
        var separate = new T[z.Length];
        Activations.Backward<T>(f, separate, da, z, a, Batch, N);
        Activations.Backward<T>(f, da, da, z, a, Batch, N);
        Assert.Equal(separate, da);
    }

    [Theory]
    [MemberData(nameof(NumericsCases.AllActivations), MemberType = typeof(NumericsCases))]
    public void Forward_matches_the_double_reference_formula(Activation f)
    {
        var zd = TestInputs();
        var z = Num.From<T>(zd);
        var a = new T[z.Length];
        Activations.Forward<T>(f, a, z, Batch, N);
        var expected = Reference(f, zd);
        var (abs, rel) = Num.IsSingle<T>() ? (1e-7, 1e-6) : (1e-15, 1e-13);
        for (var i = 0; i < a.Length; i++)
            Num.Close(expected[i], double.CreateChecked(a[i]), abs, rel, $"{Activations.Name(f)}({zd[i]})");
    }

    /// <summary>Textbook formulas in double, written independently of the kernels (naive where that is
    /// still accurate in double at the test points).</summary>
    private static double[] Reference(Activation f, double[] z)
    {
        var a = new double[z.Length];
        for (var r = 0; r < Batch; r++)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < N; j++) max = Math.Max(max, z[r * N + j]);
            var sum = 0.0;
            for (var j = 0; j < N; j++) sum += Math.Exp(z[r * N + j] - max);
            for (var j = 0; j < N; j++)
            {
                var x = z[r * N + j];
                a[r * N + j] = f switch
                {
                    Activation.Identity => x,
                    Activation.Logistic => 1 / (1 + Math.Exp(-x)),
                    Activation.Tanh => Math.Tanh(x),
                    Activation.Relu => Math.Max(x, 0),
                    Activation.LeakyRelu => x > 0 ? x : 0.01 * x,
                    Activation.Elu => x > 0 ? x : Math.Exp(x) - 1,
                    Activation.Softplus => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))),
                    Activation.Softmax => Math.Exp(x - max) / sum,
                    _ => throw new ArgumentOutOfRangeException(nameof(f)),
                };
            }
        }
        return a;
    }

    [Fact]
    public void Known_values()
    {
        Assert.Equal(T.CreateChecked(0.5), Apply(Activation.Logistic, 0));
        Assert.Equal(T.Zero, Apply(Activation.Tanh, 0));
        Assert.Equal(T.Zero, Apply(Activation.Relu, -2));
        Assert.Equal(T.CreateChecked(3), Apply(Activation.Relu, 3));
        Assert.Equal(T.CreateChecked(-0.02), Apply(Activation.LeakyRelu, -2));
        Num.Close(Math.Exp(-1) - 1, double.CreateChecked(Apply(Activation.Elu, -1)), 0, Num.IsSingle<T>() ? 1e-7 : 1e-15, "elu(-1)");
        Num.Close(Math.Log(2), double.CreateChecked(Apply(Activation.Softplus, 0)), 0, Num.IsSingle<T>() ? 1e-7 : 1e-15, "softplus(0)");
        // Small ELU inputs keep relative precision (expm1, not exp − 1).
        Num.Close(-1e-6 + 5e-13, double.CreateChecked(Apply(Activation.Elu, -1e-6)), 0, Num.IsSingle<T>() ? 1e-6 : 1e-12, "elu(-1e-6)");
    }

    [Fact]
    public void Derivatives_at_zero_follow_the_documented_conventions()
    {
        // ReLU'(0) = 0, leaky ReLU'(0) = slope, ELU'(0) = 1, logistic'(0) = 1/4, tanh'(0) = 1, softplus'(0) = 1/2.
        Assert.Equal(T.Zero, DerivativeAt(Activation.Relu, 0));
        Assert.Equal(T.CreateChecked(Activations.LeakyReluSlope), DerivativeAt(Activation.LeakyRelu, 0));
        Assert.Equal(T.One, DerivativeAt(Activation.Elu, 0));
        Assert.Equal(T.CreateChecked(0.25), DerivativeAt(Activation.Logistic, 0));
        Assert.Equal(T.One, DerivativeAt(Activation.Tanh, 0));
        Assert.Equal(T.CreateChecked(0.5), DerivativeAt(Activation.Softplus, 0));
        Assert.Equal(T.One, DerivativeAt(Activation.Identity, 0));
    }

    [Fact]
    public void Softmax_rows_sum_to_one_and_survive_huge_inputs()
    {
        const int n = 4;
        var z = Num.From<T>(1000, 999, -1000, 0,    // would overflow exp without the max shift
                            1000, 1000, 1000, 1000,
                            -1000, -1000, -1000, -1000,
                            0.5, -0.25, 2, 1);
        var a = new T[z.Length];
        Activations.Forward<T>(Activation.Softmax, a, z, 4, n);
        Assert.All(a, v => Assert.True(T.IsFinite(v) && v >= T.Zero, $"softmax gave {v}"));
        for (var r = 0; r < 4; r++)
        {
            var sum = 0.0;
            for (var j = 0; j < n; j++) sum += double.CreateChecked(a[r * n + j]);
            Num.Close(1.0, sum, Num.IsSingle<T>() ? 1e-6 : 1e-15, 0, $"row {r} sum");
        }
        Num.Close(1 / (1 + Math.Exp(-1)), double.CreateChecked(a[0]), 0, 1e-6, "softmax(1000 | 999, ...)");
        Assert.Equal(T.CreateChecked(0.25), a[4]);
        Assert.Equal(T.CreateChecked(0.25), a[8]);

        var dz = new T[z.Length];
        var da = Num.From<T>(1, -1, 0.5, 2, 1, 2, 3, 4, -1, 0, 1, 0, 0.1, 0.2, 0.3, 0.4);
        Activations.Backward<T>(Activation.Softmax, dz, da, z, a, 4, n);
        Assert.All(dz, v => Assert.True(T.IsFinite(v), $"softmax backward gave {v}"));
    }

    [Theory]
    [InlineData(Activation.Logistic)]
    [InlineData(Activation.Softplus)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Elu)]
    public void Saturating_functions_are_stable_at_plus_minus_100(Activation f)
    {
        var z = Num.From<T>(-100, 100, -1000, 1000);
        var a = new T[z.Length];
        Activations.Forward<T>(f, a, z, 1, z.Length);
        var dz = new T[z.Length];
        Activations.Backward<T>(f, dz, Num.From<T>(1, 1, 1, 1), z, a, 1, z.Length);
        Assert.All(a, v => Assert.True(T.IsFinite(v), $"{Activations.Name(f)} gave {v}"));
        Assert.All(dz, v => Assert.True(T.IsFinite(v) && v >= T.Zero, $"{Activations.Name(f)}' gave {v}"));

        if (f is Activation.Logistic or Activation.Softplus)
        {
            // Both ≈ e^−100 at −100: computed from e^z directly, not as 1 − (something ≈ 1).
            var tiny = double.CreateChecked(a[0]);
            if (Num.IsSingle<T>()) Assert.InRange(tiny, 0.0, 1e-40);
            else Num.Close(Math.Exp(-100), tiny, 0, 1e-12, $"{Activations.Name(f)}(-100)");
            Num.Close(f == Activation.Logistic ? 1.0 : 100.0, double.CreateChecked(a[1]), 0, 1e-15, $"{Activations.Name(f)}(100)");
            Num.Close(f == Activation.Logistic ? 1.0 : 1000.0, double.CreateChecked(a[3]), 0, 1e-15, $"{Activations.Name(f)}(1000)");
            Assert.Equal(T.Zero, a[2]);
        }
    }

    [Fact]
    public void Nan_inputs_propagate_rather_than_vanish()
    {
        // A diverging run must show NaN in its loss, not have it zeroed by ReLU or softmax.
        foreach (var f in Enum.GetValues<Activation>())
        {
            var z = Num.From<T>(double.NaN, 1);
            var a = new T[2];
            Activations.Forward<T>(f, a, z, 1, 2);
            Assert.True(T.IsNaN(a[0]), $"{Activations.Name(f)}(NaN) gave {a[0]}");
        }
    }

    [Fact]
    public void Span_lengths_are_validated()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activations.Forward<T>(Activation.Relu, new T[5], new T[6], 2, 3));
        Assert.Equal("output", ex.ParamName);
        Assert.Contains("expected 6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Activations.Forward<T>(Activation.Relu, new T[6], new T[5], 2, 3));
        Assert.Equal("z", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Activations.Backward<T>(Activation.Relu, new T[6], new T[6], new T[6], new T[7], 2, 3));
        Assert.Equal("a", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Activations.Backward<T>(Activation.Relu, new T[6], new T[4], new T[6], new T[6], 2, 3));
        Assert.Equal("da", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Forward<T>(Activation.Relu, new T[0], new T[0], -1, 3));
    }

    private static T Apply(Activation f, double z)
    {
        var a = new T[1];
        Activations.Forward<T>(f, a, Num.From<T>(z), 1, 1);
        return a[0];
    }

    private static T DerivativeAt(Activation f, double z)
    {
        var zs = Num.From<T>(z);
        var a = new T[1];
        var dz = new T[1];
        Activations.Forward<T>(f, a, zs, 1, 1);
        Activations.Backward<T>(f, dz, Num.From<T>(1), zs, a, 1, 1);
        return dz[0];
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    public void The_relus_give_bit_for_bit_their_definition_in_every_lane_nan_zeros_and_infinities_included(Activation f)
    {
        // Long enough for many vector lanes, odd so that the scalar tail runs too.
        const int length = 1003;
        var rng = new Rng(11);
        var special = new[] { T.NaN, T.Zero, T.NegativeZero, T.PositiveInfinity, T.NegativeInfinity, T.Epsilon, -T.Epsilon };
        var z = new T[length];
        var da = new T[length];
        for (var i = 0; i < length; i++)
        {
            z[i] = i % 7 == 0 ? special[i / 7 % special.Length] : T.CreateChecked(rng.NextDouble(-4, 4));
            da[i] = i % 11 == 0 ? T.NaN : T.CreateChecked(rng.NextDouble(-1, 1));
        }
        var a = new T[length];
        var dz = new T[length];
        Activations.Forward<T>(f, a, z, 1, length);
        Activations.Backward<T>(f, dz, da, z, a, 1, length);
        // The definitions, one element at a time: NaN passes forward, −0 stays −0; the derivative
        // at 0 and at NaN is the left side's (0, or the slope).
        var slope = f == Activation.LeakyRelu ? T.CreateChecked(Activations.LeakyReluSlope) : T.Zero;
        for (var i = 0; i < length; i++)
        {
            var forward = f == Activation.Relu ? (z[i] < T.Zero ? T.Zero : z[i]) : (z[i] < T.Zero ? slope * z[i] : z[i]);
            var backward = f == Activation.Relu ? (z[i] > T.Zero ? da[i] : T.Zero) : (z[i] > T.Zero ? da[i] : slope * da[i]);
            Assert.Equal(Bits(forward), Bits(a[i]));
            Assert.Equal(Bits(backward), Bits(dz[i]));
        }
    }

    private static long Bits(T value) => typeof(T) == typeof(float)
        ? BitConverter.SingleToInt32Bits(float.CreateTruncating(value))
        : BitConverter.DoubleToInt64Bits(double.CreateTruncating(value));
}

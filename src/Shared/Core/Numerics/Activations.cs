using System.Numerics;

namespace ActorNet.Numerics;

/// <summary>The element-wise (or, for softmax, per-row) nonlinearity of a layer.</summary>
public enum Activation { Identity, Logistic, Tanh, Relu, LeakyRelu, Elu, Softplus, Softmax }

/// <summary>
/// Activation functions and their derivatives as allocation-free kernels over row-major
/// (batch, n) spans, generic over the element type so that float32 and float64 runs share
/// one implementation. Arithmetic stays in <typeparamref name="T"/> throughout.
/// <para>Constants (fixed, not configurable, so that a run spec's name fully determines the function):</para>
/// <list type="bullet">
/// <item>leaky ReLU slope <see cref="LeakyReluSlope"/> = 0.01 for z &lt; 0 (Maas, Hannun and Ng 2013,
/// "Rectifier Nonlinearities Improve Neural Network Acoustic Models");</item>
/// <item>ELU alpha <see cref="EluAlpha"/> = 1.0 (Clevert, Unterthiner and Hochreiter 2016, "Fast and
/// Accurate Deep Network Learning by Exponential Linear Units");</item>
/// <item>softplus = log(1 + e^z), computed as max(z, 0) + log1p(e^−|z|) so that neither e^z overflows
/// for large z nor the small result underflows to 0 for very negative z;</item>
/// <item>at z = 0 the derivative takes its z &lt; 0 value: ReLU'(0) = 0 (as PyTorch's and TensorFlow's
/// ReLU gradients do), leaky ReLU'(0) = slope, ELU'(0) = alpha·e^0 = alpha (= 1, where ELU is smooth anyway).</item>
/// </list>
/// </summary>
public static class Activations
{
    /// <summary>Slope of leaky ReLU for negative inputs.</summary>
    public const double LeakyReluSlope = 0.01;

    /// <summary>ELU's alpha: the value f(z) approaches as z → −∞ is −alpha.</summary>
    public const double EluAlpha = 1.0;

    private static readonly NameTable<Activation> Table = new(
        ["identity", "logistic", "tanh", "relu", "leakyRelu", "elu", "softplus", "softmax"],
        [("sigmoid", Activation.Logistic)],
        "activation");

    /// <summary>The names used in run specs, in <see cref="Activation"/> order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>Parses a spec name, case-insensitively, ignoring '_' and '-'; "sigmoid" means logistic.</summary>
    public static bool TryParse(string name, out Activation activation) => Table.TryParse(name, out activation);

    /// <summary>The spec name of <paramref name="activation"/>.</summary>
    public static string Name(Activation activation) => Table.Name(activation);

    /// <summary>
    /// a = f(z). Shapes: <paramref name="z"/>, <paramref name="output"/>: (batch, n) row-major.
    /// Element-wise except softmax, which normalises each row of n. The spans are expected not
    /// to overlap; every kernel reads z[i] before writing output[i] at the same index, so exact
    /// aliasing (in place) also works, partial overlap does not.
    /// </summary>
    public static void Forward<T>(Activation f, Span<T> output, ReadOnlySpan<T> z, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var size = SpanChecks.MatrixSize(batch, n);
        SpanChecks.Length(output.Length, size, nameof(output), batch, n);
        SpanChecks.Length(z.Length, size, nameof(z), batch, n);
        output = output[..size];
        z = z[..size];

        switch (f)
        {
            case Activation.Identity:
                z.CopyTo(output);
                break;
            case Activation.Logistic:
                for (var i = 0; i < z.Length; i++) output[i] = Logistic(z[i]);
                break;
            case Activation.Tanh:
                for (var i = 0; i < z.Length; i++) output[i] = T.Tanh(z[i]);
                break;
            case Activation.Relu:
                ReluForward(output, z);
                break;
            case Activation.LeakyRelu:
                LeakyReluForward(output, z);
                break;
            case Activation.Elu:
            {
                // alpha·(e^z − 1) for z ≤ 0, with an accurate expm1 so that small negative z keep
                // their relative precision.
                var alpha = T.CreateChecked(EluAlpha);
                for (var i = 0; i < z.Length; i++) output[i] = z[i] > T.Zero ? z[i] : alpha * ExpM1(z[i]);
                break;
            }
            case Activation.Softplus:
                for (var i = 0; i < z.Length; i++) output[i] = Softplus(z[i]);
                break;
            case Activation.Softmax:
                for (var r = 0; r < batch; r++) SoftmaxRow(output.Slice(r * n, n), z.Slice(r * n, n));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(f), f, "not a known activation");
        }
    }

    /// <summary>
    /// dz = ∂E/∂z from da = ∂E/∂a. Shapes: <paramref name="dz"/>, <paramref name="da"/>,
    /// <paramref name="z"/> (the pre-activation) and <paramref name="a"/> (Forward's output):
    /// all (batch, n) row-major.
    /// Element-wise dz = da ⊙ f'(z); softmax per row: dz_i = a_i·(da_i − Σ_j da_j·a_j), the
    /// vector-Jacobian product of J = diag(a) − a·aᵀ without forming J.
    /// Each derivative uses whichever of z or a is cheaper and stable: logistic' = a(1−a),
    /// tanh' = 1−a² (no second exp); ELU' = alpha·e^z for z ≤ 0 (a + alpha would cancel badly
    /// as a → −alpha); softplus' = logistic(z) (from z: recovering it from a would need
    /// 1 − e^−a, which cancels for small a).
    /// <paramref name="dz"/> may be the same span as <paramref name="da"/> (in place): every
    /// element of da is read before dz is written at that index (softmax reads its row's dot
    /// product first). <see cref="Losses.OutputDelta"/> relies on this.
    /// </summary>
    public static void Backward<T>(Activation f, Span<T> dz, ReadOnlySpan<T> da, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var size = SpanChecks.MatrixSize(batch, n);
        SpanChecks.Length(dz.Length, size, nameof(dz), batch, n);
        SpanChecks.Length(da.Length, size, nameof(da), batch, n);
        SpanChecks.Length(z.Length, size, nameof(z), batch, n);
        SpanChecks.Length(a.Length, size, nameof(a), batch, n);
        dz = dz[..size];
        da = da[..size];
        z = z[..size];
        a = a[..size];

        switch (f)
        {
            case Activation.Identity:
                da.CopyTo(dz);
                break;
            case Activation.Logistic:
                for (var i = 0; i < dz.Length; i++) dz[i] = da[i] * a[i] * (T.One - a[i]);
                break;
            case Activation.Tanh:
                for (var i = 0; i < dz.Length; i++) dz[i] = da[i] * (T.One - a[i] * a[i]);
                break;
            case Activation.Relu:
                ReluBackward(dz, da, z);
                break;
            case Activation.LeakyRelu:
                LeakyReluBackward(dz, da, z);
                break;
            case Activation.Elu:
            {
                var alpha = T.CreateChecked(EluAlpha);
                for (var i = 0; i < dz.Length; i++) dz[i] = z[i] > T.Zero ? da[i] : da[i] * alpha * T.Exp(z[i]);
                break;
            }
            case Activation.Softplus:
                for (var i = 0; i < dz.Length; i++) dz[i] = da[i] * Logistic(z[i]);
                break;
            case Activation.Softmax:
                for (var r = 0; r < batch; r++)
                {
                    var ar = a.Slice(r * n, n);
                    var dar = da.Slice(r * n, n);
                    var dzr = dz.Slice(r * n, n);
                    var dot = T.Zero;
                    for (var j = 0; j < n; j++) dot += dar[j] * ar[j];
                    for (var j = 0; j < n; j++) dzr[j] = ar[j] * (dar[j] - dot);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(f), f, "not a known activation");
        }
    }

    /// <summary>σ(z) = 1/(1 + e^−z), evaluated so that exp never sees a large positive argument:
    /// for z &lt; 0 as e^z/(1 + e^z). Both branches are accurate in their half and neither overflows
    /// (in float, e^−z overflows already for z &lt; −88.7).</summary>
    internal static T Logistic<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z >= T.Zero) return T.One / (T.One + T.Exp(-z));
        var e = T.Exp(z);
        return e / (T.One + e);
    }

    /// <summary>softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^−|z|): the exp argument is never
    /// positive, and log1p keeps e^z's value (≈ softplus for very negative z) instead of rounding
    /// 1 + e^z to 1.</summary>
    internal static T Softplus<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.IsNaN(z)) return z;
        var tail = Log1P(T.Exp(-T.Abs(z)));
        return z > T.Zero ? z + tail : tail;
    }

    /// <summary>log(1 + x) accurate for small x by Goldberg's correction (D. Goldberg, "What Every
    /// Computer Scientist Should Know About Floating-Point Arithmetic", 1991, Theorem 4): the
    /// rounding error made in u = 1 + x is divided out again by x/(u − 1). Used instead of
    /// T.LogP1, which .NET implements as Log(x + 1) and so loses all of x when x &lt; ulp(1)/2.</summary>
    internal static T Log1P<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var u = T.One + x;
        if (u == T.One) return x;
        return T.Log(u) * x / (u - T.One);
    }

    /// <summary>e^x − 1 accurate for small x by Kahan's correction (W. Kahan, as given in N. Higham,
    /// "Accuracy and Stability of Numerical Algorithms", 2nd ed., 2002, §1.14.1): the rounding error
    /// of u = e^x is divided out by x/log(u). .NET's T.ExpM1 is Exp(x) − 1, which cancels near 0.</summary>
    internal static T ExpM1<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var u = T.Exp(x);
        if (u == T.One) return x;
        var um1 = u - T.One;
        if (um1 == -T.One) return -T.One;
        return um1 * x / T.Log(u);
    }

    /// <summary>One row of softmax, numerically stable: subtracting the row maximum makes every
    /// exponent ≤ 0, so e^(z−max) ∈ (0, 1] cannot overflow and the largest term is exactly 1, so
    /// the sum is ≥ 1 and the division is safe. Shapes: output, z: (n).</summary>
    private static void SoftmaxRow<T>(Span<T> output, ReadOnlySpan<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z.Length == 0) return;
        var max = z[0];
        for (var j = 1; j < z.Length; j++)
        {
            // Propagate a NaN into the max (and so the whole row) rather than skip it.
            if (z[j] > max || T.IsNaN(z[j])) max = z[j];
        }
        var sum = T.Zero;
        for (var j = 0; j < z.Length; j++)
        {
            var e = T.Exp(z[j] - max);
            output[j] = e;
            sum += e;
        }
        var inv = T.One / sum;
        for (var j = 0; j < z.Length; j++) output[j] *= inv;
    }

    // ReLU, leaky ReLU and their derivatives without a branch per element: a layer's pre-activations are
    // negative about half the time, at random, and the mispredicted branches made these two
    // loops cost a worker 12 % of its time, most of what its matrix products cost (perf, batch
    // 512, 784-256-128-10). The vector lanes compute exactly what the scalar tail does,
    // NaN and −0 included (ActivationTests compare them).

    /// <summary>a = z &lt; 0 ? 0 : z, rather than Max(z, 0), so that a NaN passes through: a
    /// diverging run should show NaN in its loss, not have it silently zeroed here.</summary>
    private static void ReluForward<T>(Span<T> output, ReadOnlySpan<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= z.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(z[i..]);
                Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), Vector<T>.Zero, v).CopyTo(output[i..]);
            }
        for (; i < z.Length; i++) output[i] = z[i] < T.Zero ? T.Zero : z[i];
    }

    /// <summary>dz = z &gt; 0 ? da : 0 (strictly: ReLU'(0) = 0).</summary>
    private static void ReluBackward<T>(Span<T> dz, ReadOnlySpan<T> da, ReadOnlySpan<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= dz.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(z[i..]), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(da[i..]), Vector<T>.Zero).CopyTo(dz[i..]);
            }
        for (; i < dz.Length; i++) dz[i] = z[i] > T.Zero ? da[i] : T.Zero;
    }

    /// <summary>a = z &lt; 0 ? slope·z : z (NaN passes through).</summary>
    private static void LeakyReluForward<T>(Span<T> output, ReadOnlySpan<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var slope = T.CreateChecked(LeakyReluSlope);
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var slopes = new Vector<T>(slope);
            for (; i <= z.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(z[i..]);
                Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), slopes * v, v).CopyTo(output[i..]);
            }
        }
        for (; i < z.Length; i++) output[i] = z[i] < T.Zero ? slope * z[i] : z[i];
    }

    /// <summary>dz = z &gt; 0 ? da : slope·da (the slope at 0, as for ReLU the left side).</summary>
    private static void LeakyReluBackward<T>(Span<T> dz, ReadOnlySpan<T> da, ReadOnlySpan<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var slope = T.CreateChecked(LeakyReluSlope);
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var slopes = new Vector<T>(slope);
            for (; i <= dz.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var g = new Vector<T>(da[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(new Vector<T>(z[i..]), Vector<T>.Zero), g, slopes * g).CopyTo(dz[i..]);
            }
        }
        for (; i < dz.Length; i++) dz[i] = z[i] > T.Zero ? da[i] : slope * da[i];
    }
}

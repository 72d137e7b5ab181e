using System.Numerics;

namespace ActorNet.Numerics;

/// <summary>The error a network minimises, per sample, over its output layer.</summary>
public enum Loss { HalfSumSquares, MeanSquaredError, SoftmaxCrossEntropy, BinaryCrossEntropy }

/// <summary>
/// Losses: their value summed over a batch, and the error signal δ = ∂E/∂z they send into the
/// output layer. Allocation-free kernels over row-major (batch, n) spans.
/// <para>Per-sample definitions (o: the output layer's activation, t: the target, k over the n outputs):</para>
/// <list type="bullet">
/// <item>"sse", HalfSumSquares: E = ½·Σ_k (t_k − o_k)², the squared error of M. Mazur's "A Step by Step
/// Backpropagation Example" (2015), whose ½ cancels the 2 of the derivative: ∂E/∂o = o − t;</item>
/// <item>"mse", MeanSquaredError: E = (1/n)·Σ_k (t_k − o_k)², ∂E/∂o = (2/n)(o − t);</item>
/// <item>"softmaxCrossEntropy": E = −Σ_k t_k·log o_k with o a softmax (Bishop, "Pattern Recognition and
/// Machine Learning", 2006, §4.3.4 and eq. 4.109);</item>
/// <item>"binaryCrossEntropy": E = −Σ_k [t_k·log o_k + (1 − t_k)·log(1 − o_k)] with o logistic
/// (independent binary outputs, Bishop §4.3.2 and §5.2).</item>
/// </list>
/// Logarithms are taken of max(o, c) and max(1 − o, c) with c = <see cref="LogClamp{T}"/> (1e-7 for
/// float, Keras's backend epsilon, which it clips cross-entropy inputs with; 1e-15 for double, near
/// its machine epsilon 2.2e-16 as 1e-7 is near float's 1.2e-7, the smallest 1 − o can resolve), so that a saturated wrong output gives a large finite loss
/// (−log c ≈ 16 or 35) rather than ∞ or NaN.
/// </summary>
public static class Losses
{
    private static readonly NameTable<Loss> Table = new(
        ["sse", "mse", "softmaxCrossEntropy", "binaryCrossEntropy"],
        [("crossentropy", Loss.SoftmaxCrossEntropy), ("bce", Loss.BinaryCrossEntropy)],
        "loss");

    /// <summary>The names used in run specs, in <see cref="Loss"/> order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>Parses a spec name, case-insensitively, ignoring '_' and '-'; "crossEntropy" means softmaxCrossEntropy and "bce" binaryCrossEntropy.</summary>
    public static bool TryParse(string name, out Loss loss) => Table.TryParse(name, out loss);

    /// <summary>The spec name of <paramref name="loss"/>.</summary>
    public static string Name(Loss loss) => Table.Name(loss);

    /// <summary>The lower clamp applied to o and 1 − o before taking a log: 1e-7 for float,
    /// 1e-15 for double; for other types (Half) 16 ulps of 1.</summary>
    public static T LogClamp<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateChecked(1e-7);
        if (typeof(T) == typeof(double)) return T.CreateChecked(1e-15);
        return T.CreateChecked(16) * (T.One - T.BitDecrement(T.One));
    }

    /// <summary>
    /// The sum over the batch of each sample's loss. Shapes: <paramref name="output"/>,
    /// <paramref name="target"/>: (batch, n). Accumulated in double whatever T is: a float sum of
    /// many small per-sample losses drifts (and an epoch's total is reported and compared).
    /// </summary>
    public static double Sum<T>(Loss loss, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var size = SpanChecks.MatrixSize(batch, n);
        SpanChecks.Length(output.Length, size, nameof(output), batch, n);
        SpanChecks.Length(target.Length, size, nameof(target), batch, n);
        output = output[..size];
        target = target[..size];
        var clamp = double.CreateChecked(LogClamp<T>());

        var sum = 0.0;
        switch (loss)
        {
            case Loss.HalfSumSquares:
                for (var i = 0; i < size; i++)
                {
                    var d = double.CreateChecked(target[i]) - double.CreateChecked(output[i]);
                    sum += d * d;
                }
                return 0.5 * sum;
            case Loss.MeanSquaredError:
                if (n == 0) return 0.0;
                for (var i = 0; i < size; i++)
                {
                    var d = double.CreateChecked(target[i]) - double.CreateChecked(output[i]);
                    sum += d * d;
                }
                return sum / n;
            case Loss.SoftmaxCrossEntropy:
                for (var i = 0; i < size; i++)
                {
                    var t = double.CreateChecked(target[i]);
                    // Skip t = 0 terms: 0·log(anything) is 0 by the limit, and one-hot targets make
                    // most terms zero anyway.
                    if (t != 0.0) sum -= t * Math.Log(Math.Max(double.CreateChecked(output[i]), clamp));
                }
                return sum;
            case Loss.BinaryCrossEntropy:
                for (var i = 0; i < size; i++)
                {
                    var t = double.CreateChecked(target[i]);
                    var o = double.CreateChecked(output[i]);
                    if (t != 0.0) sum -= t * Math.Log(Math.Max(o, clamp));
                    if (t != 1.0) sum -= (1.0 - t) * Math.Log(Math.Max(1.0 - o, clamp));
                }
                return sum;
            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "not a known loss");
        }
    }

    /// <summary>
    /// δ = ∂E_sample/∂z at the output layer, per sample (not divided by the batch size: the
    /// caller averages the weight gradients over the global batch). Shapes: <paramref name="delta"/>,
    /// <paramref name="z"/> (pre-activation), <paramref name="output"/> (activation of z),
    /// <paramref name="target"/>: all (batch, n).
    /// <para>Fused where that is both cheaper and stabler, since the activation's Jacobian cancels
    /// the loss's division by o (Bishop 2006, eqs. 4.91 and 4.109):</para>
    /// <list type="bullet">
    /// <item>softmax + softmaxCrossEntropy: δ = o − t. This assumes each target row sums to 1 (a
    /// one-hot label or a probability distribution, e.g. label smoothing); in general the
    /// derivative is o·Σ_k t_k − t.</item>
    /// <item>logistic + binaryCrossEntropy: δ = o − t, exact for any t.</item>
    /// </list>
    /// Otherwise da = ∂E/∂o is formed in <paramref name="delta"/> and mapped through
    /// <see cref="Activations.Backward"/> in place. Every combination the cross-entropies allow is
    /// fused, so there is no −t/o to clamp here (only <see cref="Sum{T}"/> needs the log clamp);
    /// combinations <see cref="CheckOutputActivation"/> rejects throw an ArgumentException with its message.
    /// </summary>
    public static void OutputDelta<T>(Loss loss, Activation activation, Span<T> delta, ReadOnlySpan<T> z,
                                      ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var size = SpanChecks.MatrixSize(batch, n);
        SpanChecks.Length(delta.Length, size, nameof(delta), batch, n);
        SpanChecks.Length(z.Length, size, nameof(z), batch, n);
        SpanChecks.Length(output.Length, size, nameof(output), batch, n);
        SpanChecks.Length(target.Length, size, nameof(target), batch, n);
        if (CheckOutputActivation(loss, activation) is { } problem) throw new ArgumentException(problem, nameof(activation));
        delta = delta[..size];
        output = output[..size];
        target = target[..size];

        switch (loss)
        {
            case Loss.SoftmaxCrossEntropy:   // activation is Softmax (checked above)
            case Loss.BinaryCrossEntropy:    // activation is Logistic (checked above)
                for (var i = 0; i < size; i++) delta[i] = output[i] - target[i];
                return;
            case Loss.HalfSumSquares:
                for (var i = 0; i < size; i++) delta[i] = output[i] - target[i];
                break;
            case Loss.MeanSquaredError:
            {
                var scale = n == 0 ? T.Zero : T.CreateChecked(2.0 / n);
                for (var i = 0; i < size; i++) delta[i] = scale * (output[i] - target[i]);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "not a known loss");
        }

        // delta holds da = ∂E/∂o; Backward may run in place (it reads da[i] before writing dz[i]).
        Activations.Backward<T>(activation, delta, delta, z, output, batch, n);
    }

    /// <summary>
    /// Whether <paramref name="loss"/> can sit on an output layer with <paramref name="activation"/>:
    /// null if so, else a message for the run spec's author. The cross-entropies need outputs that
    /// are probabilities, and their δ is only the simple, stable o − t with the matching activation:
    /// softmaxCrossEntropy needs softmax, binaryCrossEntropy needs logistic; sse and mse take any.
    /// </summary>
    public static string? CheckOutputActivation(Loss loss, Activation activation) => loss switch
    {
        Loss.SoftmaxCrossEntropy when activation != Activation.Softmax =>
            $"{Name(loss)} needs a softmax output layer, not '{Activations.Name(activation)}'",
        Loss.BinaryCrossEntropy when activation != Activation.Logistic =>
            $"{Name(loss)} needs a logistic output layer, not '{Activations.Name(activation)}'",
        Loss.HalfSumSquares or Loss.MeanSquaredError or Loss.SoftmaxCrossEntropy or Loss.BinaryCrossEntropy => null,
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "not a known loss"),
    };
}

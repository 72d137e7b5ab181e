using System.Numerics;

namespace ActorNet.Numerics;

/// <summary>The update rule that turns averaged gradients into parameter changes.</summary>
public enum OptimizerKind { Sgd, Momentum, Adam }

/// <summary>
/// Immutable optimiser settings. Defaults: <paramref name="Momentum"/> μ = 0.9 (the usual value,
/// Sutskever et al. 2013), plain (not Nesterov) momentum; Adam's β1 = 0.9, β2 = 0.999, ε = 1e-8
/// (the defaults proposed by Kingma and Ba 2015, Algorithm 1); <paramref name="WeightDecay"/> λ = 0
/// (no L2 penalty). Fields a kind does not use are ignored by it (SGD ignores Momentum and the Adam
/// constants, and so on).
/// </summary>
/// <param name="Kind">Which update rule.</param>
/// <param name="LearningRate">η, the step size; finite and ≥ 0.</param>
/// <param name="Momentum">μ for <see cref="OptimizerKind.Momentum"/>, in [0, 1].</param>
/// <param name="Nesterov">Use Nesterov's look-ahead form of momentum.</param>
/// <param name="Beta1">Adam's decay of the first-moment estimate, in [0, 1).</param>
/// <param name="Beta2">Adam's decay of the second-moment estimate, in [0, 1).</param>
/// <param name="Epsilon">Adam's ε, added to sqrt(v̂) so that the division is safe; &gt; 0.</param>
/// <param name="WeightDecay">λ of the L2 penalty ½λ‖w‖², added to the gradient as λ·w; ≥ 0.</param>
public sealed record OptimizerSettings(OptimizerKind Kind, double LearningRate, double Momentum = 0.9, bool Nesterov = false,
                                       double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0.0)
{
    private static readonly string[] Names = ["sgd", "momentum", "adam"];

    /// <summary>The names used in run specs, in <see cref="OptimizerKind"/> order.</summary>
    public static IReadOnlyList<string> KindNames { get; } = Array.AsReadOnly(Names);

    /// <summary>Parses a kind's spec name, case-insensitively.</summary>
    public static bool TryParseKind(string name, out OptimizerKind kind)
    {
        if (name is not null)
        {
            for (var i = 0; i < Names.Length; i++)
            {
                if (SpanChecks.NameEquals(name, Names[i])) { kind = (OptimizerKind)i; return true; }
            }
        }
        kind = default;
        return false;
    }

    /// <summary>The spec name of <paramref name="kind"/>.</summary>
    public static string KindName(OptimizerKind kind) =>
        (uint)kind < (uint)Names.Length
            ? Names[(int)kind]
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a known optimizer kind");

    /// <summary>Null if the settings are usable, else a message naming the first bad field.</summary>
    public string? Check()
    {
        if ((uint)Kind >= (uint)Names.Length) return $"optimizer kind {(int)Kind} is not one of {string.Join(", ", Names)}";
        if (!double.IsFinite(LearningRate) || LearningRate < 0) return $"learning rate must be finite and ≥ 0, not {LearningRate}";
        if (!(Momentum >= 0 && Momentum <= 1)) return $"momentum must be in [0, 1], not {Momentum}";
        if (!(Beta1 >= 0 && Beta1 < 1)) return $"beta1 must be in [0, 1), not {Beta1}";
        if (!(Beta2 >= 0 && Beta2 < 1)) return $"beta2 must be in [0, 1), not {Beta2}";
        if (!(Epsilon > 0) || !double.IsFinite(Epsilon)) return $"epsilon must be finite and > 0, not {Epsilon}";
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0) return $"weight decay must be finite and ≥ 0, not {WeightDecay}";
        return null;
    }
}

/// <summary>
/// One optimiser step over a span of parameters, allocation-free, arithmetic in T (the settings'
/// doubles are rounded to T once per call).
/// <para>Weight decay, when it applies to the span, is classic L2 regularisation folded into the
/// gradient, g ← g + λ·p, as PyTorch's SGD/Adam weight_decay do. For Adam this is L2-in-gradient,
/// which Adam's per-parameter scaling weakens for parameters with large gradients; it is not AdamW's
/// decoupled decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).</para>
/// </summary>
public static class Optimizers
{
    /// <summary>State slots per parameter: Sgd 0, Momentum 1 (velocity), Adam 2 (m, v).</summary>
    public static int StateSlots(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => 0,
        OptimizerKind.Momentum => 1,
        OptimizerKind.Adam => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a known optimizer kind"),
    };

    /// <summary>
    /// Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (already
    /// averaged over the global batch). Shapes: parameters, gradients: (p); <paramref name="first"/>:
    /// (p) for Momentum (velocity) and Adam (m), else (0); <paramref name="second"/>: (p) for Adam (v),
    /// else (0). State starts at zero. <paramref name="step"/> is the 1-based count of updates including
    /// this one (Adam's bias correction needs it; it must be ≥ 1 for every kind so callers count alike).
    /// <paramref name="decay"/>: whether L2 weight decay applies (true for weights, false for biases).
    /// <list type="bullet">
    /// <item>SGD: p ← p − η·g.</item>
    /// <item>Momentum, PyTorch's convention (η outside the velocity, no dampening; Sutskever, Martens,
    /// Dahl and Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013,
    /// rewritten with v scaled by 1/η): v ← μ·v + g; p ← p − η·v. Nesterov: p ← p − η·(g + μ·v) with the
    /// updated v, the look-ahead form PyTorch uses.</item>
    /// <item>Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1):
    /// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − η·m̂/(sqrt(v̂) + ε) with m̂ = m/(1−β1^t),
    /// v̂ = v/(1−β2^t). The corrections are computed in double (β2^t for large t is poorly rounded in
    /// float) and applied as multipliers in T.</item>
    /// </list>
    /// </summary>
    public static void Apply<T>(OptimizerSettings settings, Span<T> parameters, ReadOnlySpan<T> gradients,
                                Span<T> first, Span<T> second, long step, bool decay)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Apply(settings, parameters, parameters, gradients, T.One, first, second, step, decay);

    /// <summary>
    /// <see cref="Apply{T}(OptimizerSettings, Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, long, bool)"/>
    /// from <paramref name="current"/> into <paramref name="next"/> (the same span, or one that does not
    /// overlap it), with each gradient first multiplied by <paramref name="gradientScale"/>: a parameter
    /// shard passes the gradient sum of the global batch and 1/rows, so that the mean gradient is never
    /// stored (one pass over the parameters instead of three; g·s rounds exactly as the stored mean did).
    /// </summary>
    public static void Apply<T>(OptimizerSettings settings, ReadOnlySpan<T> current, Span<T> next, ReadOnlySpan<T> gradients, T gradientScale,
                                Span<T> first, Span<T> second, long step, bool decay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Check() is { } problem) throw new ArgumentException(problem, nameof(settings));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "is 1-based: the count of updates including this one");
        var p = current.Length;
        SpanChecks.Length(next.Length, p, nameof(next), "one new value per parameter");
        SpanChecks.Length(gradients.Length, p, nameof(gradients), "one gradient per parameter");
        var slots = StateSlots(settings.Kind);
        SpanChecks.Length(first.Length, slots >= 1 ? p : 0, nameof(first),
            slots >= 1 ? "one first-state slot per parameter" : "an optimizer without first state (pass an empty span)");
        SpanChecks.Length(second.Length, slots >= 2 ? p : 0, nameof(second),
            slots >= 2 ? "one second-state slot per parameter" : "an optimizer without second state (pass an empty span)");

        var c = Constants<T>.Of(settings, step, decay, gradientScale);
        var start = Vector<T>.IsSupported && Vector.IsHardwareAccelerated ? Vectors(c, current, next, gradients, first, second) : 0;
        Scalar(c, current[start..], next[start..], gradients[start..], first.IsEmpty ? first : first[start..], second.IsEmpty ? second : second[start..]);
    }

    /// <summary>The rules of <see cref="Apply{T}"/>, one element at a time, on their own: the
    /// definition the vector loops are tested and benchmarked against. Arguments already checked.</summary>
    internal static void ApplyScalar<T>(OptimizerSettings settings, Span<T> parameters, ReadOnlySpan<T> gradients,
                                        Span<T> first, Span<T> second, long step, bool decay)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Scalar(Constants<T>.Of(settings, step, decay, T.One), parameters, parameters, gradients, first, second);

    /// <summary>The definition, and what runs on the elements after the last whole vector.</summary>
    private static void Scalar<T>(in Constants<T> c, ReadOnlySpan<T> current, Span<T> next, ReadOnlySpan<T> gradients, Span<T> first, Span<T> second)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = current.Length;
        switch (c.Kind)
        {
            case OptimizerKind.Sgd:
                for (var i = 0; i < p; i++)
                {
                    var g = gradients[i] * c.Scale;
                    if (c.UseDecay) g += c.Lambda * current[i];
                    next[i] = current[i] - c.Eta * g;
                }
                break;

            case OptimizerKind.Momentum:
            {
                var velocity = first[..p];
                for (var i = 0; i < p; i++)
                {
                    var g = gradients[i] * c.Scale;
                    if (c.UseDecay) g += c.Lambda * current[i];
                    var v = c.Mu * velocity[i] + g;
                    velocity[i] = v;
                    next[i] = current[i] - (c.Nesterov ? c.Eta * (g + c.Mu * v) : c.Eta * v);
                }
                break;
            }

            case OptimizerKind.Adam:
            {
                var m = first[..p];
                var v = second[..p];
                for (var i = 0; i < p; i++)
                {
                    var g = gradients[i] * c.Scale;
                    if (c.UseDecay) g += c.Lambda * current[i];
                    var mi = c.B1 * m[i] + c.OneMinusB1 * g;
                    var vi = c.B2 * v[i] + c.OneMinusB2 * g * g;
                    m[i] = mi;
                    v[i] = vi;
                    next[i] = current[i] - c.Eta * (mi * c.C1) / (T.Sqrt(vi * c.C2) + c.Eps);
                }
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "not a known optimizer kind");
        }
    }

    /// <summary>
    /// <see cref="Scalar{T}"/> on whole vectors of T, the same operations in the same order
    /// (IEEE add, multiply, divide and square root round each lane as the scalar ones do, and .NET
    /// fuses no multiply-add unasked), so the result is the same bit for bit
    /// (<c>OptimizerTests</c> checks it). Returns how many leading elements it updated.
    /// </summary>
    private static int Vectors<T>(in Constants<T> c, ReadOnlySpan<T> current, Span<T> next, ReadOnlySpan<T> gradients, Span<T> first, Span<T> second)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = Vector<T>.Count;
        var end = current.Length - current.Length % w;
        Vector<T> eta = new(c.Eta), lambda = new(c.Lambda), scale = new(c.Scale);
        switch (c.Kind)
        {
            case OptimizerKind.Sgd:
                for (var i = 0; i < end; i += w)
                {
                    var p = new Vector<T>(current[i..]);
                    var g = new Vector<T>(gradients[i..]) * scale;
                    if (c.UseDecay) g += lambda * p;
                    (p - eta * g).CopyTo(next[i..]);
                }
                break;

            case OptimizerKind.Momentum:
            {
                Vector<T> mu = new(c.Mu);
                for (var i = 0; i < end; i += w)
                {
                    var p = new Vector<T>(current[i..]);
                    var g = new Vector<T>(gradients[i..]) * scale;
                    if (c.UseDecay) g += lambda * p;
                    var v = mu * new Vector<T>(first[i..]) + g;
                    v.CopyTo(first[i..]);
                    (p - (c.Nesterov ? eta * (g + mu * v) : eta * v)).CopyTo(next[i..]);
                }
                break;
            }

            case OptimizerKind.Adam:
            {
                Vector<T> b1 = new(c.B1), b2 = new(c.B2), oneMinusB1 = new(c.OneMinusB1), oneMinusB2 = new(c.OneMinusB2);
                Vector<T> c1 = new(c.C1), c2 = new(c.C2), eps = new(c.Eps);
                for (var i = 0; i < end; i += w)
                {
                    var p = new Vector<T>(current[i..]);
                    var g = new Vector<T>(gradients[i..]) * scale;
                    if (c.UseDecay) g += lambda * p;
                    var m = b1 * new Vector<T>(first[i..]) + oneMinusB1 * g;
                    var v = b2 * new Vector<T>(second[i..]) + oneMinusB2 * g * g;
                    m.CopyTo(first[i..]);
                    v.CopyTo(second[i..]);
                    (p - eta * (m * c1) / (Vector.SquareRoot(v * c2) + eps)).CopyTo(next[i..]);
                }
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "not a known optimizer kind");
        }
        return end;
    }

    /// <summary>The rule, the settings rounded to T, and Adam's bias corrections: worked out once per call.</summary>
    private readonly record struct Constants<T>(OptimizerKind Kind, bool Nesterov, T Eta, T Lambda, bool UseDecay, T Mu,
                                               T B1, T B2, T OneMinusB1, T OneMinusB2, T C1, T C2, T Eps, T Scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Constants<T> Of(OptimizerSettings s, long step, bool decay, T scale)
        {
            var lambda = T.CreateChecked(decay ? s.WeightDecay : 0.0);
            // 1/(1 − β^t); Math.Pow with a long exponent converted to double is exact enough
            // (t < 2^53) and β^t → 0, so the correction → 1 for long runs.
            return new Constants<T>(s.Kind, s.Nesterov, T.CreateChecked(s.LearningRate), lambda, lambda != T.Zero, T.CreateChecked(s.Momentum),
                T.CreateChecked(s.Beta1), T.CreateChecked(s.Beta2), T.CreateChecked(1.0 - s.Beta1), T.CreateChecked(1.0 - s.Beta2),
                T.CreateChecked(1.0 / (1.0 - Math.Pow(s.Beta1, step))), T.CreateChecked(1.0 / (1.0 - Math.Pow(s.Beta2, step))),
                T.CreateChecked(s.Epsilon), scale);
        }
    }
}

using System.Numerics;

namespace ActorNet.Numerics;

/// <summary>How a layer's weights are drawn before training.</summary>
public enum Initializer { GlorotUniform, GlorotNormal, HeUniform, HeNormal, Zeros }

/// <summary>
/// Weight initialisers that keep the variance of activations (and of back-propagated gradients)
/// roughly constant from layer to layer, so that deep stacks neither saturate nor vanish at the start:
/// <list type="bullet">
/// <item>Glorot/Xavier (X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
/// feedforward neural networks", AISTATS 2010, eq. 16): Var(w) = 2/(fanIn + fanOut), a compromise
/// between the forward (1/fanIn) and backward (1/fanOut) conditions; suited to tanh and logistic.
/// Uniform: U(−r, r) with r = sqrt(6/(fanIn + fanOut)); normal: N(0, 2/(fanIn + fanOut)).</item>
/// <item>He/Kaiming (K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers", ICCV 2015,
/// eq. 10): Var(w) = 2/fanIn, doubling Glorot's forward condition because a ReLU zeroes half its
/// inputs. Uniform: U(−r, r) with r = sqrt(6/fanIn); normal: N(0, 2/fanIn).</item>
/// <item>Zeros: every weight 0 (for biases, or tests; zero weights in hidden layers never break symmetry).</item>
/// </list>
/// The normal variants are plain, not truncated, normals (Keras truncates at 2σ and rescales; we
/// follow the papers). Biases are not drawn here: callers zero them.
/// </summary>
public static class Initializers
{
    private static readonly NameTable<Initializer> Table = new(
        ["glorotUniform", "glorotNormal", "heUniform", "heNormal", "zeros"],
        [("glorot", Initializer.GlorotUniform), ("xavier", Initializer.GlorotUniform), ("he", Initializer.HeNormal)],
        "initializer");

    /// <summary>The names used in run specs, in <see cref="Initializer"/> order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>Parses a spec name, case-insensitively, ignoring '_' and '-'; "glorot" and "xavier" mean glorotUniform (the Glorot paper's own proposal), "he" means heNormal (the He paper's).</summary>
    public static bool TryParse(string name, out Initializer initializer) => Table.TryParse(name, out initializer);

    /// <summary>The spec name of <paramref name="initializer"/>.</summary>
    public static string Name(Initializer initializer) => Table.Name(initializer);

    /// <summary>
    /// Fills <paramref name="weights"/>, shape (fanOut, fanIn) row-major, from <paramref name="rng"/>,
    /// in index order, one draw per weight (so a seed fixes the weights, and Zeros draws nothing).
    /// Values are drawn in double and rounded once to T.
    /// </summary>
    public static void Fill<T>(Initializer initializer, Span<T> weights, int fanIn, int fanOut, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "must be positive");
        if (fanOut <= 0) throw new ArgumentOutOfRangeException(nameof(fanOut), fanOut, "must be positive");
        var size = SpanChecks.MatrixSize(fanOut, fanIn);
        SpanChecks.Length(weights.Length, size, nameof(weights), fanOut, fanIn, nameof(fanOut), nameof(fanIn));
        weights = weights[..size];

        double fanSum = (double)fanIn + fanOut;
        switch (initializer)
        {
            case Initializer.GlorotUniform:
                FillUniform(weights, Math.Sqrt(6.0 / fanSum), rng);
                break;
            case Initializer.GlorotNormal:
                FillNormal(weights, Math.Sqrt(2.0 / fanSum), rng);
                break;
            case Initializer.HeUniform:
                FillUniform(weights, Math.Sqrt(6.0 / fanIn), rng);
                break;
            case Initializer.HeNormal:
                FillNormal(weights, Math.Sqrt(2.0 / fanIn), rng);
                break;
            case Initializer.Zeros:
                weights.Clear();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(initializer), initializer, "not a known initializer");
        }
    }

    /// <summary>U(−limit, limit): variance limit²/3, hence the 6 (= 3·2) in the limits above.</summary>
    private static void FillUniform<T>(Span<T> weights, double limit, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = 0; i < weights.Length; i++) weights[i] = T.CreateChecked(rng.NextDouble(-limit, limit));
    }

    private static void FillNormal<T>(Span<T> weights, double std, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = 0; i < weights.Length; i++) weights[i] = T.CreateChecked(std * rng.NextGaussian());
    }
}

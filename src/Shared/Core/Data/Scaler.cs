using ActorNet.Numerics;

namespace ActorNet.Data;

/// <summary>How <see cref="Scaler"/> maps each feature value x.</summary>
public enum ScalingKind
{
    /// <summary>x unchanged.</summary>
    None,
    /// <summary>Per feature, (x − min) / (max − min) with the training set's min and max, so the
    /// training values lie in [0, 1]; a feature constant in training maps to 0.</summary>
    MinMax,
    /// <summary>Per feature, (x − mean) / standard deviation (population, n in the denominator)
    /// of the training set; a feature constant in training maps to 0.</summary>
    Standardize,
    /// <summary>One divisor for all features: x / max |x| over every feature value of the
    /// training set. For images of bytes this is the usual "divide by 255" (when some training
    /// pixel is 255, as in MNIST), keeping the pixels' relative scale, which per-feature MinMax
    /// would distort for border pixels that are almost always 0. All-zero training data keeps x.</summary>
    UnitRange,
}

/// <summary>
/// A feature scaling fitted on a training set and then applied, unchanged, to the training and
/// test sets alike, so that no statistic of the test set leaks into training. Each feature j
/// maps to (x − Offsets[j]) / Divisors[j], or to 0 when Divisors[j] is 0 (a constant feature).
/// Fitting and scaling compute in double whatever the set's precision; a scaled float32 set keeps
/// each result rounded to float32, a float64 set keeps it whole.
/// </summary>
public sealed class Scaler
{
    private readonly double[] _offsets;
    private readonly double[] _divisors;

    private Scaler(ScalingKind kind, double[] offsets, double[] divisors)
    {
        Kind = kind;
        _offsets = offsets;
        _divisors = divisors;
    }

    private static readonly NameTable<ScalingKind> KindNames = new(["none", "minMax", "standardize", "unitRange"], [], "scaling");

    /// <summary>The run spec's names of the kinds, in <see cref="ScalingKind"/> order.</summary>
    public static IReadOnlyList<string> Names => KindNames.Names;

    /// <summary>The run spec's name of <paramref name="kind"/> ("minMax", …).</summary>
    public static string Name(ScalingKind kind) => KindNames.Name(kind);

    /// <summary>Parses a run spec's name of a kind, case-insensitively.</summary>
    public static bool TryParse(string name, out ScalingKind kind) => KindNames.TryParse(name, out kind);

    public ScalingKind Kind { get; }
    public int FeatureCount => _offsets.Length;
    public IReadOnlyList<double> Offsets => _offsets;
    public IReadOnlyList<double> Divisors => _divisors;

    /// <summary>A scaler with parameters fitted before, as a saved model keeps them.</summary>
    public static Scaler FromParameters(ScalingKind kind, IReadOnlyList<double> offsets, IReadOnlyList<double> divisors)
    {
        if (offsets.Count != divisors.Count)
            throw new ArgumentException($"{offsets.Count} offsets but {divisors.Count} divisors; a scaler needs one of each per feature", nameof(divisors));
        return new Scaler(kind, offsets.ToArray(), divisors.ToArray());
    }

    /// <summary>Computes the scaling's parameters from the training set, reading its rows as
    /// doubles: a float32 set's values widened (exactly), a float64 set's as they are.</summary>
    public static Scaler Fit(DataSet train, ScalingKind kind)
    {
        if (train.Count == 0 && kind != ScalingKind.None)
            throw new ArgumentException($"{train.Name}: a scaler cannot be fitted on a set without rows", nameof(train));
        return FitNonEmpty(train, kind);
    }

    private static Scaler FitNonEmpty(DataSet train, ScalingKind kind) => kind switch
    {
        ScalingKind.None => Uniform(kind, train.FeatureCount, 0, 1),
        ScalingKind.MinMax => FitMinMax(train),
        ScalingKind.Standardize => FitStandardize(train),
        ScalingKind.UnitRange => FitUnitRange(train),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown scaling kind"),
    };

    /// <summary>A new data set with scaled features, in the input's precision; the input's arrays
    /// are not written, labels, targets and class names are shared.</summary>
    public DataSet Apply(DataSet data)
    {
        if (data.FeatureCount != FeatureCount)
            throw new ArgumentException($"{data.Name}: {data.FeatureCount} features, but the scaler was fitted on {FeatureCount}", nameof(data));
        // A set of bytes stays one: its decoding table is scaled, not its rows.
        return data.Map(Scale);
    }

    /// <summary>Scaled copies of whole rows of features.   x: (rows, FeatureCount) row-major → same shape</summary>
    public float[] Apply(ReadOnlySpan<float> x)
    {
        if (x.Length % FeatureCount != 0)
            throw new ArgumentException($"{x.Length} values are not whole rows of the scaler's {FeatureCount} features", nameof(x));
        var y = new float[x.Length];
        for (var r = 0; r < x.Length / FeatureCount; r++)
            ScaleRow(x.Slice(r * FeatureCount, FeatureCount), y.AsSpan(r * FeatureCount, FeatureCount));
        return y;
    }

    private void ScaleRow(ReadOnlySpan<float> x, Span<float> y)
    {
        for (var j = 0; j < x.Length; j++) y[j] = (float)Scale(j, x[j]);
    }

    /// <summary>Feature j's value x, scaled: the one formula of every path (a float32 one rounds its result).</summary>
    private double Scale(int j, double x) => _divisors[j] == 0 ? 0 : (x - _offsets[j]) / _divisors[j];

    private static Scaler Uniform(ScalingKind kind, int features, double offset, double divisor) =>
        new(kind, Enumerable.Repeat(offset, features).ToArray(), Enumerable.Repeat(divisor, features).ToArray());

    private static Scaler FitMinMax(DataSet train)
    {
        var min = Enumerable.Repeat(double.PositiveInfinity, train.FeatureCount).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, train.FeatureCount).ToArray();
        var row = new double[train.FeatureCount];
        for (var r = 0; r < train.Count; r++)
        {
            train.CopyRow<double>(r, row);
            for (var j = 0; j < row.Length; j++)
            {
                min[j] = Math.Min(min[j], row[j]);
                max[j] = Math.Max(max[j], row[j]);
            }
        }
        var range = new double[train.FeatureCount];
        for (var j = 0; j < range.Length; j++) range[j] = max[j] - min[j];
        return new Scaler(ScalingKind.MinMax, min, range);
    }

    private static Scaler FitStandardize(DataSet train)
    {
        var n = train.FeatureCount;
        var mean = new double[n];
        var m2 = new double[n];
        // Welford's update: one pass, without the cancellation of sum-of-squares minus square-of-sum.
        var row = new double[n];
        for (var r = 0; r < train.Count; r++)
        {
            train.CopyRow<double>(r, row);
            for (var j = 0; j < n; j++)
            {
                var delta = row[j] - mean[j];
                mean[j] += delta / (r + 1);
                m2[j] += delta * (row[j] - mean[j]);
            }
        }
        var std = new double[n];
        for (var j = 0; j < n; j++) std[j] = Math.Sqrt(m2[j] / train.Count);
        // A feature constant up to rounding has no scale to normalise; 0 rather than noise / 1e-17.
        for (var j = 0; j < n; j++) if (std[j] <= 1e-12 * Math.Max(1, Math.Abs(mean[j]))) std[j] = 0;
        return new Scaler(ScalingKind.Standardize, mean, std);
    }

    private static Scaler FitUnitRange(DataSet train)
    {
        double max = 0;
        var row = new double[train.FeatureCount];
        for (var r = 0; r < train.Count; r++)
        {
            train.CopyRow<double>(r, row);
            foreach (var v in row) max = Math.Max(max, Math.Abs(v));
        }
        return Uniform(ScalingKind.UnitRange, train.FeatureCount, 0, max == 0 ? 1 : max);
    }
}

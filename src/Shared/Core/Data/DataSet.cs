namespace ActorNet.Data;

/// <summary>
/// A labelled data set held in memory: features as float32, row-major, and either class
/// labels or explicit target rows. Immutable once built (the arrays are never written
/// after construction), so replicas may share one instance.
/// <para>Images of bytes (IDX files) keep their bytes, a quarter of the floats' memory, and a
/// table of what each byte value means in each feature (its scaling, already applied): a row
/// is made into floats as it is read (<see cref="CopyRow{T}"/>), with exactly the values a
/// float copy of the scaled set would hold. Fashion-MNIST's two sets take 55 MB so instead of 220 MB.</para>
/// </summary>
/// <remarks>
/// features: (Count, Features); labels: (Count) class indices in [0, Classes);
/// targets: (Count, TargetWidth) explicit targets, when the data set gives them (the
/// article's example does); then labels may be absent. classNames: (Classes) optional
/// human-readable names of the classes (a CSV's label texts, Fashion-MNIST's garments), index
/// i naming label i.
/// </remarks>
public sealed class DataSet
{
    private readonly float[]? _features;  // (Count, FeatureCount), or null for a set of bytes
    private readonly byte[]? _bytes;      // (Count, FeatureCount), or null for a set of floats
    private readonly float[]? _decode;    // the float of byte v in feature j at [j * 256 + v], or at [v] when every feature has the same

    public DataSet(string name, float[] features, int featureCount, int[]? labels, int classes, float[]? targets = null, int targetWidth = 0,
        IReadOnlyList<string>? classNames = null)
        : this(name, features, null, null, featureCount, labels, classes, targets, targetWidth, classNames)
    {
    }

    /// <summary>A set of byte features (images), each value v of feature j standing for
    /// <paramref name="decode"/>[j × 256 + v], or for <paramref name="decode"/>[v] when the table
    /// has only 256 entries (the same for every feature).</summary>
    public DataSet(string name, byte[] features, float[] decode, int featureCount, int[]? labels, int classes, IReadOnlyList<string>? classNames = null)
        : this(name, null, features, decode, featureCount, labels, classes, null, 0, classNames)
    {
        if (decode.Length != 256 && decode.Length != 256 * featureCount)
            throw new ArgumentException($"{name}: a decoding table of {decode.Length} values; expected 256 or 256 per feature ({256 * featureCount})", nameof(decode));
    }

    private DataSet(string name, float[]? features, byte[]? bytes, float[]? decode, int featureCount, int[]? labels, int classes, float[]? targets, int targetWidth,
        IReadOnlyList<string>? classNames)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "a data set needs at least one feature");
        var values = features?.Length ?? bytes!.Length;
        if (values % featureCount != 0)
            throw new ArgumentException($"{name}: {values} feature values are not a whole number of rows of {featureCount}", nameof(features));
        var count = values / featureCount;
        if (labels is null && targets is null) throw new ArgumentException($"{name}: a data set needs labels or targets");
        if (labels is not null)
        {
            if (labels.Length != count) throw new ArgumentException($"{name}: {labels.Length} labels for {count} rows", nameof(labels));
            for (var i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)classes)
                    throw new ArgumentException($"{name}: row {i} has label {labels[i]}, outside [0, {classes})", nameof(labels));
        }
        if (targets is not null && (targetWidth <= 0 || targets.Length != count * targetWidth))
            throw new ArgumentException($"{name}: {targets.Length} target values do not make {count} rows of {targetWidth}", nameof(targets));
        if (classNames is not null && (labels is null || classNames.Count != classes))
            throw new ArgumentException($"{name}: {classNames.Count} class names for {(labels is null ? "a set without labels" : $"{classes} classes")}", nameof(classNames));

        Name = name;
        _features = features;
        _bytes = bytes;
        _decode = decode;
        FeatureCount = featureCount;
        Count = count;
        Labels = labels;
        Classes = labels is null ? 0 : classes;
        Targets = targets;
        TargetWidth = targets is null ? 0 : targetWidth;
        // Copied so that the caller's list cannot change the names of a shared, immutable set.
        ClassNames = classNames is null ? null : Array.AsReadOnly(classNames.ToArray());
    }

    public string Name { get; }
    public int Count { get; }
    public int FeatureCount { get; }
    /// <summary>(Count, FeatureCount) row-major. A set of bytes makes this array when asked
    /// (Count × FeatureCount floats: the memory it saves); the engine reads rows with <see cref="CopyRow{T}"/>.</summary>
    public float[] Features => _features ?? ToFloats();
    /// <summary>True when the features are kept as bytes and a decoding table.</summary>
    public bool IsBytes => _bytes is not null;
    /// <summary>(Count) class indices, or null when the set has explicit targets only.</summary>
    public int[]? Labels { get; }
    public int Classes { get; }
    /// <summary>(Count, TargetWidth) row-major, or null when targets come from labels.</summary>
    public float[]? Targets { get; }
    public int TargetWidth { get; }
    /// <summary>(Classes) the name of each class, or null when the source gave none.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Row <paramref name="index"/> of a set of floats. A set of bytes has no float rows: use <see cref="CopyRow{T}"/>.</summary>
    public ReadOnlySpan<float> Row(int index) => _features is not null
        ? _features.AsSpan(index * FeatureCount, FeatureCount)
        : throw new InvalidOperationException($"{Name} keeps its features as bytes: read its rows with CopyRow");

    /// <summary>Row <paramref name="index"/>'s features into <paramref name="destination"/> (FeatureCount
    /// values), converted to T from the float each one is (so a float64 run sees the same values as a float32 one).</summary>
    public void CopyRow<T>(int index, Span<T> destination) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (destination.Length != FeatureCount)
            throw new ArgumentException($"{Name}: a row has {FeatureCount} features, the destination {destination.Length}", nameof(destination));
        if (_features is not null)
        {
            var row = _features.AsSpan(index * FeatureCount, FeatureCount);
            if (typeof(T) == typeof(float)) row.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
            else for (var k = 0; k < row.Length; k++) destination[k] = T.CreateChecked(row[k]);
            return;
        }
        var bytes = _bytes.AsSpan(index * FeatureCount, FeatureCount);
        var decode = _decode!;
        if (decode.Length == 256)
            for (var k = 0; k < bytes.Length; k++) destination[k] = T.CreateChecked(decode[bytes[k]]);
        else
            for (var k = 0; k < bytes.Length; k++) destination[k] = T.CreateChecked(decode[(k << 8) + bytes[k]]);
    }

    /// <summary>The same set with every feature value v replaced by <paramref name="map"/>(j, v),
    /// v the value as this set holds it. A set of bytes stays one: only its table changes.</summary>
    public DataSet Map(Func<int, float, float> map, string? name = null)
    {
        if (_bytes is null)
        {
            var y = new float[_features!.Length];
            for (var i = 0; i < y.Length; i++) y[i] = map(i % FeatureCount, _features[i]);
            return new DataSet(name ?? Name, y, FeatureCount, Labels, Classes == 0 ? 1 : Classes, Targets, TargetWidth, ClassNames);
        }
        var table = new float[256 * FeatureCount];
        for (var j = 0; j < FeatureCount; j++)
            for (var v = 0; v < 256; v++)
                table[(j << 8) + v] = map(j, _decode!.Length == 256 ? _decode[v] : _decode[(j << 8) + v]);
        return new DataSet(name ?? Name, _bytes, Uniform(table) ?? table, FeatureCount, Labels, Classes == 0 ? 1 : Classes, ClassNames);
    }

    /// <summary>The 256-entry table when every feature's is the same, else null.</summary>
    private float[]? Uniform(float[] table)
    {
        for (var j = 1; j < FeatureCount; j++)
            if (!table.AsSpan(j << 8, 256).SequenceEqual(table.AsSpan(0, 256))) return null;
        return table[..256];
    }

    private float[] ToFloats()
    {
        var x = new float[Count * FeatureCount];
        for (var r = 0; r < Count; r++) CopyRow<float>(r, x.AsSpan(r * FeatureCount, FeatureCount));
        return x;
    }

    /// <summary>Features and targets in double precision, when the source gave more digits
    /// than float32 keeps (inline rows of a spec: the article's 0.05 and 0.99); float64 runs
    /// read these, so the worked example is exact. Null for sets read from files.</summary>
    public double[]? ExactFeatures { get; private init; }
    public double[]? ExactTargets { get; private init; }

    /// <summary>A set of explicit-target rows given in double precision.</summary>
    public static DataSet FromExact(string name, double[] features, int featureCount, double[] targets, int targetWidth) =>
        new(name, Array.ConvertAll(features, v => (float)v), featureCount, labels: null, classes: 0,
            Array.ConvertAll(targets, v => (float)v), targetWidth)
        {
            ExactFeatures = (double[])features.Clone(),
            ExactTargets = (double[])targets.Clone(),
        };

    /// <summary>The rows at the given indices, in that order, as a new data set (of bytes, if this one is).</summary>
    public DataSet Select(ReadOnlySpan<int> indices, string? name = null)
    {
        int[]? y = Labels is null ? null : new int[indices.Length];
        float[]? t = Targets is null ? null : new float[indices.Length * TargetWidth];
        for (var i = 0; i < indices.Length; i++)
        {
            var r = indices[i];
            if (y is not null) y[i] = Labels![r];
            if (t is not null) Targets.AsSpan(r * TargetWidth, TargetWidth).CopyTo(t.AsSpan(i * TargetWidth));
        }
        if (_bytes is not null)
        {
            var b = new byte[indices.Length * FeatureCount];
            for (var i = 0; i < indices.Length; i++) _bytes.AsSpan(indices[i] * FeatureCount, FeatureCount).CopyTo(b.AsSpan(i * FeatureCount));
            return new DataSet(name ?? Name, b, _decode!, FeatureCount, y, Classes == 0 ? 1 : Classes, ClassNames);
        }
        var x = new float[indices.Length * FeatureCount];
        for (var i = 0; i < indices.Length; i++) Row(indices[i]).CopyTo(x.AsSpan(i * FeatureCount));
        return new DataSet(name ?? Name, x, FeatureCount, y, Classes == 0 ? 1 : Classes, t, TargetWidth, ClassNames);
    }

    /// <summary>The same rows, labels, targets and class names with other feature values of the
    /// same shape; this set is left as it is.</summary>
    public DataSet WithFeatures(float[] features, string? name = null)
    {
        if (features.Length != Count * FeatureCount)
            throw new ArgumentException($"{Name}: {features.Length} feature values replace {Count * FeatureCount}", nameof(features));
        return new DataSet(name ?? Name, features, FeatureCount, Labels, Classes == 0 ? 1 : Classes, Targets, TargetWidth, ClassNames);
    }

    /// <summary>Shuffles the rows with a generator seeded by <paramref name="seed"/> and cuts them
    /// into a training and a test part; see <see cref="DataSplit.TrainTest"/>.</summary>
    public (DataSet Train, DataSet Test) Split(double testFraction, ulong seed) => DataSplit.TrainTest(this, testFraction, seed);
}

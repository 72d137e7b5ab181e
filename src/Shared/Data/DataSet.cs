namespace ActorNet.Data;

/// <summary>
/// A labelled data set held in memory: features as float32, row-major, and either class
/// labels or explicit target rows. Immutable once built (the arrays are never written
/// after construction), so replicas may share one instance.
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
    public DataSet(string name, float[] features, int featureCount, int[]? labels, int classes, float[]? targets = null, int targetWidth = 0,
        IReadOnlyList<string>? classNames = null)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "a data set needs at least one feature");
        if (features.Length % featureCount != 0)
            throw new ArgumentException($"{name}: {features.Length} feature values are not a whole number of rows of {featureCount}", nameof(features));
        var count = features.Length / featureCount;
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
        Features = features;
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
    /// <summary>(Count, FeatureCount) row-major.</summary>
    public float[] Features { get; }
    /// <summary>(Count) class indices, or null when the set has explicit targets only.</summary>
    public int[]? Labels { get; }
    public int Classes { get; }
    /// <summary>(Count, TargetWidth) row-major, or null when targets come from labels.</summary>
    public float[]? Targets { get; }
    public int TargetWidth { get; }
    /// <summary>(Classes) the name of each class, or null when the source gave none.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The rows at the given indices, in that order, as a new data set.</summary>
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

    public DataSet Select(ReadOnlySpan<int> indices, string? name = null)
    {
        var x = new float[indices.Length * FeatureCount];
        int[]? y = Labels is null ? null : new int[indices.Length];
        float[]? t = Targets is null ? null : new float[indices.Length * TargetWidth];
        for (var i = 0; i < indices.Length; i++)
        {
            var r = indices[i];
            Row(r).CopyTo(x.AsSpan(i * FeatureCount));
            if (y is not null) y[i] = Labels![r];
            if (t is not null) Targets.AsSpan(r * TargetWidth, TargetWidth).CopyTo(t.AsSpan(i * TargetWidth));
        }
        return new DataSet(name ?? Name, x, FeatureCount, y, Classes == 0 ? 1 : Classes, t, TargetWidth, ClassNames);
    }

    /// <summary>The same rows, labels, targets and class names with other feature values of the
    /// same shape (what scaling produces); this set is left as it is.</summary>
    public DataSet WithFeatures(float[] features, string? name = null)
    {
        if (features.Length != Features.Length)
            throw new ArgumentException($"{Name}: {features.Length} feature values replace {Features.Length}", nameof(features));
        return new DataSet(name ?? Name, features, FeatureCount, Labels, Classes == 0 ? 1 : Classes, Targets, TargetWidth, ClassNames);
    }

    /// <summary>Shuffles the rows with a generator seeded by <paramref name="seed"/> and cuts them
    /// into a training and a test part; see <see cref="DataSplit.TrainTest"/>.</summary>
    public (DataSet Train, DataSet Test) Split(double testFraction, ulong seed) => DataSplit.TrainTest(this, testFraction, seed);
}

using System.Numerics;
using System.Runtime.InteropServices;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>
/// A labelled data set held in memory: features row-major, and either class labels or explicit
/// target rows. Features and targets are kept in one precision (<see cref="Precision"/>), the
/// run's: float32 for a float32 run, float64 for a float64 run, so that a float64 run's data keep
/// every digit their source gives and a float32 run's take no more memory than floats. Immutable
/// once built (the arrays are never written after construction), so replicas may share one instance.
/// <para>Images of bytes (IDX files) keep their bytes, a quarter of the floats' memory, and a
/// table of what each byte value means in each feature (its scaling, already applied), in the
/// set's precision: a row is made into numbers as it is read (<see cref="CopyRow{T}"/>), with
/// exactly the values a copy of the scaled set in that precision would hold. Fashion-MNIST's two
/// sets take 55 MB so instead of 220 MB of floats (or 440 MB of doubles).</para>
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
    // Exactly one is set: the values of a float32 set, or those of a float64 set.
    private readonly Store<float>? _float32;
    private readonly Store<double>? _float64;

    public DataSet(string name, float[] features, int featureCount, int[]? labels, int classes, float[]? targets = null, int targetWidth = 0,
        IReadOnlyList<string>? classNames = null)
        : this(name, new Store<float>(features, null, null, targets), null, featureCount, labels, classes, targetWidth, classNames)
    {
    }

    /// <summary>A float32 set of byte features (images), each value v of feature j standing for
    /// <paramref name="decode"/>[j × 256 + v], or for <paramref name="decode"/>[v] when the table
    /// has only 256 entries (the same for every feature).</summary>
    public DataSet(string name, byte[] features, float[] decode, int featureCount, int[]? labels, int classes, IReadOnlyList<string>? classNames = null)
        : this(name, new Store<float>(null, features, CheckTable(name, decode, featureCount), null), null, featureCount, labels, classes, 0, classNames)
    {
    }

    /// <summary>A float64 set of byte features: as the float32 one, with a table of doubles.</summary>
    public DataSet(string name, byte[] features, double[] decode, int featureCount, int[]? labels, int classes, IReadOnlyList<string>? classNames = null)
        : this(name, null, new Store<double>(null, features, CheckTable(name, decode, featureCount), null), featureCount, labels, classes, 0, classNames)
    {
    }

    /// <summary>A float64 set of numbers. (A factory rather than a constructor: a collection
    /// expression such as [] would fit both this and the float32 constructor.)</summary>
    public static DataSet FromDoubles(string name, double[] features, int featureCount, int[]? labels, int classes, double[]? targets = null,
        int targetWidth = 0, IReadOnlyList<string>? classNames = null) =>
        new(name, null, new Store<double>(features, null, null, targets), featureCount, labels, classes, targetWidth, classNames);

    private DataSet(string name, Store<float>? float32, Store<double>? float64, int featureCount, int[]? labels, int classes, int targetWidth,
        IReadOnlyList<string>? classNames)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "a data set needs at least one feature");
        var values = float32?.FeatureValues ?? float64!.FeatureValues;
        var targets = float32 is not null ? float32.Targets?.Length : float64!.Targets?.Length;
        if (values % featureCount != 0)
            throw new ArgumentException($"{name}: {values} feature values are not a whole number of rows of {featureCount}");
        var count = values / featureCount;
        if (labels is null && targets is null) throw new ArgumentException($"{name}: a data set needs labels or targets");
        if (labels is not null)
        {
            if (labels.Length != count) throw new ArgumentException($"{name}: {labels.Length} labels for {count} rows", nameof(labels));
            for (var i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)classes)
                    throw new ArgumentException($"{name}: row {i} has label {labels[i]}, outside [0, {classes})", nameof(labels));
        }
        if (targets is { } t && (targetWidth <= 0 || t != count * targetWidth))
            throw new ArgumentException($"{name}: {t} target values do not make {count} rows of {targetWidth}");
        if (classNames is not null && (labels is null || classNames.Count != classes))
            throw new ArgumentException($"{name}: {classNames.Count} class names for {(labels is null ? "a set without labels" : $"{classes} classes")}", nameof(classNames));

        Name = name;
        _float32 = float32;
        _float64 = float64;
        FeatureCount = featureCount;
        Count = count;
        Labels = labels;
        Classes = labels is null ? 0 : classes;
        TargetWidth = targets is null ? 0 : targetWidth;
        // Copied so that the caller's list cannot change the names of a shared, immutable set.
        ClassNames = classNames is null ? null : Array.AsReadOnly(classNames.ToArray());
    }

    public string Name { get; }
    public int Count { get; }
    public int FeatureCount { get; }
    /// <summary>The precision the features and targets are kept in.</summary>
    public Precision Precision => _float32 is not null ? Precision.Float32 : Precision.Float64;
    /// <summary>(Count, FeatureCount) row-major, of a float32 set. A set of bytes makes this array
    /// when asked (Count × FeatureCount floats: the memory it saves); the engine reads rows with
    /// <see cref="CopyRow{T}"/>. A float64 set has <see cref="Features64"/> instead: rounding its
    /// values to float32 here would lose what it is kept for.</summary>
    public float[] Features => (_float32 ?? throw InPrecision("its features", $"{nameof(Features64)} or {nameof(CopyRow)}")).AllFeatures(Count, FeatureCount);
    /// <summary>(Count, FeatureCount) row-major, of a float64 set; made when asked for a set of bytes.</summary>
    public double[] Features64 => (_float64 ?? throw InPrecision("its features", $"{nameof(Features)} or {nameof(CopyRow)}")).AllFeatures(Count, FeatureCount);
    /// <summary>True when the features are kept as bytes and a decoding table.</summary>
    public bool IsBytes => _float32 is not null ? _float32.Bytes is not null : _float64!.Bytes is not null;
    /// <summary>(Count) class indices, or null when the set has explicit targets only.</summary>
    public int[]? Labels { get; }
    public int Classes { get; }
    /// <summary>True when the set has explicit targets (then <see cref="TargetWidth"/> is positive).</summary>
    public bool HasTargets => TargetWidth > 0;
    /// <summary>(Count, TargetWidth) row-major of a float32 set, or null when targets come from labels.
    /// A float64 set has <see cref="Targets64"/> instead.</summary>
    public float[]? Targets => (_float32 ?? throw InPrecision("its targets", $"{nameof(Targets64)} or {nameof(CopyTargets)}")).Targets;
    /// <summary>(Count, TargetWidth) row-major of a float64 set, or null when targets come from labels.</summary>
    public double[]? Targets64 => (_float64 ?? throw InPrecision("its targets", $"{nameof(Targets)} or {nameof(CopyTargets)}")).Targets;
    public int TargetWidth { get; }
    /// <summary>(Classes) the name of each class, or null when the source gave none.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Row <paramref name="index"/> of a float32 set of numbers. A set of bytes has no
    /// float rows, nor has a float64 set: use <see cref="CopyRow{T}"/>.</summary>
    public ReadOnlySpan<float> Row(int index) => _float32?.Numbers is { } x
        ? x.AsSpan(index * FeatureCount, FeatureCount)
        : throw new InvalidOperationException($"{Name} keeps its features {(IsBytes ? "as bytes" : "in float64")}: read its rows with CopyRow");

    /// <summary>Row <paramref name="index"/>'s features into <paramref name="destination"/> (FeatureCount
    /// values), converted to T from the value each one is in the set's precision: a copy when T is
    /// that precision (the runs' case: a run's data are kept in its precision), else each widened or
    /// rounded to nearest.</summary>
    public void CopyRow<T>(int index, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != FeatureCount)
            throw new ArgumentException($"{Name}: a row has {FeatureCount} features, the destination {destination.Length}", nameof(destination));
        if (_float32 is not null) _float32.CopyRow(index * FeatureCount, destination);
        else _float64!.CopyRow(index * FeatureCount, destination);
    }

    /// <summary>Row <paramref name="index"/>'s explicit targets into <paramref name="destination"/>
    /// (TargetWidth values), converted to T as <see cref="CopyRow{T}"/> converts features.</summary>
    public void CopyTargets<T>(int index, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!HasTargets) throw new InvalidOperationException($"{Name} has no explicit targets: its targets come from its labels");
        if (destination.Length != TargetWidth)
            throw new ArgumentException($"{Name}: a row has {TargetWidth} targets, the destination {destination.Length}", nameof(destination));
        var start = index * TargetWidth;
        if (_float32 is not null) Convert<float, T>(_float32.Targets.AsSpan(start, TargetWidth), destination);
        else Convert<double, T>(_float64!.Targets.AsSpan(start, TargetWidth), destination);
    }

    /// <summary>The same set with every feature value v replaced by <paramref name="map"/>(j, v),
    /// v the value as this set holds it (widened to double), the result kept in this set's
    /// precision (rounded to nearest for a float32 set). A set of bytes stays one: only its table changes.</summary>
    public DataSet Map(Func<int, double, double> map, string? name = null) =>
        new(name ?? Name, _float32?.Map(map, FeatureCount), _float64?.Map(map, FeatureCount), FeatureCount, Labels, Classes == 0 ? 1 : Classes,
            TargetWidth, ClassNames);

    /// <summary>The same set in <paramref name="precision"/>: this one when it is kept so already;
    /// else its values (numbers or a byte table's, and targets) widened to float64, which is exact,
    /// or rounded to the nearest float32.</summary>
    public DataSet ToPrecision(Precision precision)
    {
        if (precision == Precision) return this;
        return precision == Precision.Float64
            ? new DataSet(Name, null, _float32!.To<double>(), FeatureCount, Labels, Classes == 0 ? 1 : Classes, TargetWidth, ClassNames)
            : new DataSet(Name, _float64!.To<float>(), null, FeatureCount, Labels, Classes == 0 ? 1 : Classes, TargetWidth, ClassNames);
    }

    /// <summary>The rows at the given indices, in that order, as a new data set (of bytes, if this
    /// one is; in this one's precision).</summary>
    public DataSet Select(ReadOnlySpan<int> indices, string? name = null)
    {
        int[]? y = null;
        if (Labels is not null)
        {
            y = new int[indices.Length];
            for (var i = 0; i < indices.Length; i++) y[i] = Labels[indices[i]];
        }
        return new DataSet(name ?? Name, _float32?.Select(indices, FeatureCount, TargetWidth), _float64?.Select(indices, FeatureCount, TargetWidth),
            FeatureCount, y, Classes == 0 ? 1 : Classes, TargetWidth, ClassNames);
    }

    /// <summary>The same rows, labels, targets and class names with other feature values of the
    /// same shape, of a float32 set of numbers; this set is left as it is.</summary>
    public DataSet WithFeatures(float[] features, string? name = null)
    {
        if (_float32 is null) throw InPrecision("its features", nameof(Map));
        if (features.Length != Count * FeatureCount)
            throw new ArgumentException($"{Name}: {features.Length} feature values replace {Count * FeatureCount}", nameof(features));
        return new DataSet(name ?? Name, features, FeatureCount, Labels, Classes == 0 ? 1 : Classes, _float32.Targets, TargetWidth, ClassNames);
    }

    /// <summary>Shuffles the rows with a generator seeded by <paramref name="seed"/> and cuts them
    /// into a training and a test part; see <see cref="DataSplit.TrainTest"/>.</summary>
    public (DataSet Train, DataSet Test) Split(double testFraction, ulong seed) => DataSplit.TrainTest(this, testFraction, seed);

    /// <summary>The error of asking a set for an array in the precision it does not keep.</summary>
    private InvalidOperationException InPrecision(string what, string instead) =>
        new($"{Name} keeps {what} in {(Precision == Precision.Float32 ? "float32" : "float64")}: use {instead}");

    private static TTable[] CheckTable<TTable>(string name, TTable[] decode, int featureCount)
    {
        if (decode.Length != 256 && decode.Length != 256 * featureCount)
            throw new ArgumentException($"{name}: a decoding table of {decode.Length} values; expected 256 or 256 per feature ({256 * featureCount})", nameof(decode));
        return decode;
    }

    /// <summary>to[k] = from[k] as T: a copy when S is T, else each value widened or rounded to nearest.</summary>
    private static void Convert<S, T>(ReadOnlySpan<S> from, Span<T> to)
        where S : unmanaged, IFloatingPointIeee754<S> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(S) == typeof(T)) MemoryMarshal.Cast<S, T>(from).CopyTo(to);
        else for (var k = 0; k < from.Length; k++) to[k] = T.CreateChecked(from[k]);
    }

    /// <summary>A set's values in one precision S: either numbers or bytes with their table, and
    /// the explicit targets if any.</summary>
    private sealed class Store<S>(S[]? numbers, byte[]? bytes, S[]? decode, S[]? targets) where S : unmanaged, IFloatingPointIeee754<S>
    {
        public readonly S[]? Numbers = numbers;  // (Count, FeatureCount), or null for a set of bytes
        public readonly byte[]? Bytes = bytes;   // (Count, FeatureCount), or null for a set of numbers
        public readonly S[]? Decode = decode;    // the value of byte v in feature j at [j * 256 + v], or at [v] when every feature has the same
        public readonly S[]? Targets = targets;  // (Count, TargetWidth), or null

        public int FeatureValues => Numbers?.Length ?? Bytes!.Length;

        /// <summary>The row of FeatureCount = destination.Length values starting at value <paramref name="start"/>.</summary>
        public void CopyRow<T>(int start, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Numbers is not null)
            {
                Convert<S, T>(Numbers.AsSpan(start, destination.Length), destination);
                return;
            }
            var bytes = Bytes.AsSpan(start, destination.Length);
            var decode = Decode!;
            if (decode.Length == 256)
                for (var k = 0; k < bytes.Length; k++) destination[k] = T.CreateChecked(decode[bytes[k]]);
            else
                for (var k = 0; k < bytes.Length; k++) destination[k] = T.CreateChecked(decode[(k << 8) + bytes[k]]);
        }

        public S[] AllFeatures(int count, int featureCount)
        {
            if (Numbers is not null) return Numbers;
            var x = new S[count * featureCount];
            for (var r = 0; r < count; r++) CopyRow<S>(r * featureCount, x.AsSpan(r * featureCount, featureCount));
            return x;
        }

        public Store<S> Map(Func<int, double, double> map, int featureCount)
        {
            if (Numbers is not null)
            {
                var y = new S[Numbers.Length];
                for (var i = 0; i < y.Length; i++) y[i] = S.CreateChecked(map(i % featureCount, double.CreateChecked(Numbers[i])));
                return new Store<S>(y, null, null, Targets);
            }
            var table = new S[256 * featureCount];
            for (var j = 0; j < featureCount; j++)
                for (var v = 0; v < 256; v++)
                    table[(j << 8) + v] = S.CreateChecked(map(j, double.CreateChecked(Decode!.Length == 256 ? Decode[v] : Decode[(j << 8) + v])));
            return new Store<S>(null, Bytes, Uniform(table, featureCount) ?? table, Targets);
        }

        public Store<S> Select(ReadOnlySpan<int> indices, int featureCount, int targetWidth)
        {
            var t = Targets is null ? null : new S[indices.Length * targetWidth];
            if (t is not null)
                for (var i = 0; i < indices.Length; i++) Targets.AsSpan(indices[i] * targetWidth, targetWidth).CopyTo(t.AsSpan(i * targetWidth));
            if (Bytes is not null)
            {
                var b = new byte[indices.Length * featureCount];
                for (var i = 0; i < indices.Length; i++) Bytes.AsSpan(indices[i] * featureCount, featureCount).CopyTo(b.AsSpan(i * featureCount));
                return new Store<S>(null, b, Decode, t);
            }
            var x = new S[indices.Length * featureCount];
            for (var i = 0; i < indices.Length; i++) Numbers.AsSpan(indices[i] * featureCount, featureCount).CopyTo(x.AsSpan(i * featureCount));
            return new Store<S>(x, null, null, t);
        }

        /// <summary>The same values in precision T (a byte table converted, the bytes shared).</summary>
        public Store<T> To<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Converted<T>(Numbers), Bytes, Converted<T>(Decode), Converted<T>(Targets));

        private static T[]? Converted<T>(S[]? values) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (values is null) return null;
            var y = new T[values.Length];
            Convert<S, T>(values, y);
            return y;
        }

        /// <summary>The 256-entry table when every feature's is the same, else null.</summary>
        private static S[]? Uniform(S[] table, int featureCount)
        {
            for (var j = 1; j < featureCount; j++)
                if (!table.AsSpan(j << 8, 256).SequenceEqual(table.AsSpan(0, 256))) return null;
            return table[..256];
        }
    }
}

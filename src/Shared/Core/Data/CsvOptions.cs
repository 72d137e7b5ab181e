using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>Whether a CSV file's first row names the columns.</summary>
public enum CsvHeader
{
    /// <summary>A header when the first row has a cell that is not a number in a feature column.</summary>
    Auto,
    Present,
    Absent,
}

/// <summary>How <see cref="Csv.Load"/> reads a file. The defaults read comma-separated numbers
/// with the label in the last column and an optional header.</summary>
public sealed record CsvOptions
{
    public static CsvOptions Default { get; } = new();

    /// <summary>The field separator; fields may be double-quoted (RFC 4180) to contain it.</summary>
    public char Separator { get; init; } = ',';

    public CsvHeader Header { get; init; } = CsvHeader.Auto;

    /// <summary>The label column by its header name; implies a header. Takes precedence over
    /// <see cref="LabelIndex"/>.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The label column by 0-based index; when neither this nor
    /// <see cref="LabelColumn"/> is given, the last column.</summary>
    public int? LabelIndex { get; init; }

    /// <summary>The classes, label text i being class i, e.g. the training set's
    /// <see cref="DataSet.ClassNames"/> when reading its test set so both map labels alike; a
    /// label not in the list is an error. When null, the file's distinct labels in sorted order
    /// (numerically when all are numbers).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The data set's name; the file's name without extension when null.</summary>
    public string? Name { get; init; }

    /// <summary>The precision the features are parsed to and kept in: float32 (the default) or
    /// float64, a float64 run's, whose every number is then the nearest double to its text.</summary>
    public Precision Precision { get; init; } = Precision.Float32;
}

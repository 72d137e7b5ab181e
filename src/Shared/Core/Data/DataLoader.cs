using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>Loads a run's training and test sets as its spec describes them.</summary>
public static class DataLoader
{
    /// <summary>Relative file paths in the spec are taken relative to <paramref name="baseDirectory"/>
    /// (the spec file's folder), then to the current folder. Returns the sets scaled, and the
    /// scaler fitted on the training set (null when the spec asks for no scaling), which new
    /// raw inputs need before the trained model sees them.
    /// <para>The sets are kept in <paramref name="precision"/>, the run's: a float64 run reads a
    /// CSV file's numbers straight to double, decodes IDX bytes to double and scales in double, so
    /// no value it trains on has passed through float32; a float32 run's sets are float32 as ever.</para></summary>
    public static (DataSet Train, DataSet Test, Scaler? Scaler) Load(DataSpec spec, ulong seed, Precision precision, string? baseDirectory = null)
    {
        var (train, test) = LoadRaw(spec, seed, precision, baseDirectory);
        if (spec.MaxTrainSamples is { } max && max < train.Count)
            train = train.Select(Enumerable.Range(0, max).ToArray());
        var kind = spec.Scaling.ToLowerInvariant() switch
        {
            "minmax" => ScalingKind.MinMax,
            "standardize" => ScalingKind.Standardize,
            "unitrange" => ScalingKind.UnitRange,
            _ => ScalingKind.None,
        };
        if (kind == ScalingKind.None) return (train, test, null);
        var scaler = Scaler.Fit(train, kind);
        return (scaler.Apply(train), scaler.Apply(test), scaler);
    }

    private static (DataSet Train, DataSet Test) LoadRaw(DataSpec spec, ulong seed, Precision precision, string? baseDirectory)
    {
        if (spec.InlineInputs is not null)
        {
            // One or a few hand-written rows, given in double: rounded for a float32 run, as it always computed with them.
            // The test set is the training set.
            var inline = InlineData.From(spec).ToPrecision(precision);
            return (inline, inline);
        }
        if (spec.Builtin is { } name)
        {
            // Generated in float32 (the same points for either precision); widening them is exact.
            var generated = Synthetic.Create(name, spec.Samples, seed, spec.Noise).ToPrecision(precision);
            return DataSplit.TrainTest(generated, spec.TestFraction, seed);
        }

        var trainPath = Resolve(spec.Train!, baseDirectory);
        if (Directory.Exists(trainPath)) return Idx.LoadMnistDirectory(trainPath, precision);

        var options = CsvOptionsFor(spec) with { Precision = precision };
        var train = Csv.Load(trainPath, options);
        if (spec.Test is null) return DataSplit.TrainTest(train, spec.TestFraction, seed);
        var test = Csv.Load(Resolve(spec.Test, baseDirectory), options with { ClassNames = train.ClassNames, Name = null });
        return (train, test);
    }

    private static CsvOptions CsvOptionsFor(DataSpec spec) => spec.LabelColumn switch
    {
        null => CsvOptions.Default,
        var c when int.TryParse(c, out var index) => CsvOptions.Default with { LabelIndex = index },
        var c => CsvOptions.Default with { LabelColumn = c },
    };

    private static string Resolve(string path, string? baseDirectory)
    {
        if (Path.IsPathRooted(path) || baseDirectory is null) return path;
        var beside = Path.Combine(baseDirectory, path);
        return File.Exists(beside) || Directory.Exists(beside) ? beside : path;
    }
}

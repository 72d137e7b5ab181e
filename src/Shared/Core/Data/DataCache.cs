using System.Collections.Concurrent;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>
/// Data sets loaded by this process, by what defines them (the data spec, the seed, the run's
/// precision, which the sets are kept in, and the folder relative paths start from), with the
/// training set's fingerprint. Data sets are immutable, so the coordinator and every worker in
/// one process (local mode) share one copy, and a second run on the same data in the same
/// precision does not read it again; a float32 and a float64 run of one file each have their own.
/// </summary>
public static class DataCache
{
    /// <param name="Scaler">the scaling fitted on the raw training set and applied to both sets;
    /// null when the spec asks for none</param>
    public sealed record Entry(DataSet Train, DataSet Test, string TrainSha256, Scaler? Scaler);

    // Keyed by the data section's JSON rather than the DataSpec record: the record holds inline
    // rows as arrays, which compare by reference, so every parse of the same spec (the
    // coordinator's and each worker's) would load the data again and add an entry.
    private static readonly ConcurrentDictionary<(string, ulong, Precision, string?), Lazy<Entry>> Loaded = new();

    /// <summary>The data of <paramref name="spec"/>'s run (its data section, seed and precision).</summary>
    public static Entry Get(RunSpec spec, string? baseDirectory)
    {
        var (data, seed, precision) = (spec.Data, spec.Seed, spec.Precision);
        var key = (RunSpecWriter.DataJson(data), seed, precision, baseDirectory);
        var entry = Loaded.GetOrAdd(key, _ => new Lazy<Entry>(() =>
        {
            var (train, test, scaler) = DataLoader.Load(data, seed, precision, baseDirectory);
            return new Entry(train, test, DataFingerprint.OfDataSet(train), scaler);
        }));
        try
        {
            return entry.Value;
        }
        catch
        {
            Loaded.TryRemove(key, out _); // a failed load is not remembered: the file may be fixed
            throw;
        }
    }
}

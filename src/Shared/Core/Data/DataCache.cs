using System.Collections.Concurrent;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>
/// Data sets loaded by this process, by what defines them (the data spec, the seed and the
/// folder relative paths start from), with the training set's fingerprint. Data sets are
/// immutable, so the coordinator and every worker in one process (local mode) share one
/// copy, and a second run on the same data does not read it again.
/// </summary>
public static class DataCache
{
    /// <param name="Scaler">the scaling fitted on the raw training set and applied to both sets;
    /// null when the spec asks for none</param>
    public sealed record Entry(DataSet Train, DataSet Test, string TrainSha256, Scaler? Scaler);

    // Keyed by the data section's JSON rather than the DataSpec record: the record holds inline
    // rows as arrays, which compare by reference, so every parse of the same spec (the
    // coordinator's and each worker's) would load the data again and add an entry.
    private static readonly ConcurrentDictionary<(string, ulong, string?), Lazy<Entry>> Loaded = new();

    public static Entry Get(DataSpec spec, ulong seed, string? baseDirectory)
    {
        var key = (RunSpecWriter.DataJson(spec), seed, baseDirectory);
        var entry = Loaded.GetOrAdd(key, _ => new Lazy<Entry>(() =>
        {
            var (train, test, scaler) = DataLoader.Load(spec, seed, baseDirectory);
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

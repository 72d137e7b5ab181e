using ActorNet.Numerics;

namespace ActorNet.Data;

/// <summary>Cutting one data set into a training and a test part.</summary>
public static class DataSplit
{
    /// <summary>The <see cref="Rng.ForStream"/> stream of the split's shuffle, so that a run using
    /// one seed for data, split and weights does not draw correlated sequences.</summary>
    public const ulong ShuffleStream = 0x5E11;

    /// <summary>
    /// Shuffles the rows with <see cref="Rng"/> (deterministic for a seed, on every machine) and
    /// puts round(Count × testFraction) of them, at least one and at most Count − 1, in the test
    /// part, the rest in the training part; both keep the shuffled order. Not stratified.
    /// </summary>
    public static (DataSet Train, DataSet Test) TrainTest(DataSet data, double testFraction, ulong seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "the test fraction must lie strictly between 0 and 1");
        if (data.Count < 2)
            throw new ArgumentException($"{data.Name}: {data.Count} rows cannot be split into two non-empty parts", nameof(data));
        var testCount = Math.Clamp((int)Math.Round(data.Count * testFraction), 1, data.Count - 1);
        var order = Rng.ForStream(seed, ShuffleStream).Permutation(data.Count);
        var test = data.Select(order.AsSpan(0, testCount), $"{data.Name}/test");
        var train = data.Select(order.AsSpan(testCount), $"{data.Name}/train");
        return (train, test);
    }
}

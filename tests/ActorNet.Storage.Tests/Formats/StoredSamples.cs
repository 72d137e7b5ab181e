using ActorNet.Formats;
using ActorNet.Protocol;
using Xunit;

namespace ActorNet.Tests.Formats;

/// <summary>One record of every stored kind, with awkward values where a format could lose
/// them (NaN, negative zero, extremes, non-ASCII text), and one with everything empty or absent.</summary>
public static class StoredSamples
{
    private static readonly Guid Run = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    public static TheoryData<string> Kinds()
    {
        var data = new TheoryData<string>();
        foreach (var kind in StoredFormats.Kinds) data.Add(kind.Name);
        return data;
    }

    public static object Full(string kind) => kind switch
    {
        "run.started" => new RunStarted(Run, """{"name":"ünïcode ✓"}""", "/data/here", 3, 784, ["T-shirt/top", "Trouser", ""],
            [0.5, -0.0, double.NaN, double.MaxValue], [2.0, 0.0, double.Epsilon, -1e300], long.MaxValue),
        "run.worker-joined" => new WorkerJoined(Run, "akka.tcp://actornet@10.0.0.2:4053", 123_456_789_012, -1),
        "run.worker-left" => new WorkerLeft(Run, "akka.tcp://actornet@10.0.0.3:4053", 17, "lost — déconnecté", long.MinValue),
        "run.epoch" => new EpochCompleted(Run, int.MaxValue, 0.61, double.NaN, -0.0, double.PositiveInfinity, 12345.5),
        "run.checkpoint" => new CheckpointTaken(Run, 938, 1, 1_780_000_000_900, 0.61, double.NaN, 0.72),
        "run.ended" => new RunEnded(Run, RunEnd.Failed, 940, "the loss is NaN at step 940 (layer 1, the output layer, part 0)", 1_780_000_001_000),
        "run.checkpoint-record" => new CheckpointRecord(long.MaxValue, -3, double.NegativeInfinity),
        "checkpoint.f32" => Checkpoint<float>(i => (float)Math.Sin(i) * 1e-3f, float.NaN, -0f),
        "checkpoint.f64" => Checkpoint<double>(i => Math.Cos(i) * 1e300, double.NaN, -0.0),
        "runs.admitted" => new RunAdmitted(Run, """{"name":"a"}""", int.MinValue, 1_779_999_999_995),
        "runs.closed" => new RunClosed(Run, RunEnd.Cancelled, "stopped by Ctrl+C"),
        "runs.summarized" => new RunSummarized(Run, 1, 2, 940, 938, 0.61, 0.58, double.NaN, 12345.5, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no sample"),
    };

    public static object Empty(string kind) => kind switch
    {
        "run.started" => new RunStarted(Guid.Empty, "", null, 0, 0, [], [], [], 0),
        "run.worker-joined" => new WorkerJoined(Guid.Empty, "", 0, 0),
        "run.worker-left" => new WorkerLeft(Guid.Empty, "", 0, "", 0),
        "run.epoch" => new EpochCompleted(Guid.Empty, 0, 0, 0, 0, 0, 0),
        "run.checkpoint" => new CheckpointTaken(Guid.Empty, 0, 0, 0, 0, 0, 0),
        "run.ended" => new RunEnded(Guid.Empty, RunEnd.Completed, 0, "", 0),
        "run.checkpoint-record" => new CheckpointRecord(0, 0, 0),
        "checkpoint.f32" => new Checkpoint<float>(Guid.Empty, 0, 0, 0, 0, 0, [], [], [], [], []),
        "checkpoint.f64" => new Checkpoint<double>(Guid.Empty, 0, 0, 0, 0, 0, [], [], [[]], [[]], [[]]),
        "runs.admitted" => new RunAdmitted(Guid.Empty, "", 0, 0),
        "runs.closed" => new RunClosed(Guid.Empty, RunEnd.Completed, ""),
        "runs.summarized" => new RunSummarized(Guid.Empty, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no sample"),
    };

    /// <summary>Two layers (a 3→4 and a 4→2 dense layer) with Adam's two moments, and the
    /// optimizer-less shape too: a layer whose moments are empty.</summary>
    private static Checkpoint<T> Checkpoint<T>(Func<int, T> value, T nan, T negativeZero) where T : struct
    {
        T[] Values(int count, int start) => [.. Enumerable.Range(start, count).Select(value)];
        var w0 = Values(16, 0);
        w0[3] = nan;
        w0[5] = negativeZero;
        return new Checkpoint<T>(Run, 1013, -7, 208, 123.456, 190,
            [new EpochCompleted(Run, 1, 0.6, 0.7, 0.58, 0.72, 1e5), new EpochCompleted(Run, 2, 0.5, 0.8, double.NaN, 0.81, 2e5)],
            [new CheckpointRecord(14, 938, 0.72), new CheckpointRecord(15, 1000, double.NaN)],
            [w0, Values(10, 100)], [Values(16, 200), []], [Values(16, 300), []]);
    }
}

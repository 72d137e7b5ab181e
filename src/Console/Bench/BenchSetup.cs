using System.Buffers.Binary;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Cli.Bench;

/// <summary>What one case of <c>actornet bench</c> measured, over the epochs after the first
/// (which pays for compiling code, loading data and sizing buffers).</summary>
/// <param name="Case">plain, actors, groups, cluster-1 or cluster-2; pytorch for the peer</param>
/// <param name="SamplesPerSecond">training samples per second of wall time, epoch-end evaluations included</param>
/// <param name="CpuSecondsPer1000">user + system CPU seconds of every process of the case per 1,000 samples</param>
/// <param name="BytesSentPerStep">bytes each worker put on the wire per step (null in one process)</param>
/// <param name="AllocatedBytesPerStep">bytes allocated per step by every thread of the process that trains
/// (a worker's, in the cluster); null when not known (the peer)</param>
/// <param name="PeakRssBytes">the largest resident set of the case's processes, added up</param>
/// <param name="TestAccuracy">after the last epoch</param>
/// <param name="SecondsToTarget">with a target accuracy: seconds from the start of training (data loaded) to the end of the
/// first epoch whose test accuracy reached it, evaluations included; null when none did, or not measured</param>
/// <param name="EpochsToTarget">that epoch</param>
internal sealed record CaseResult(string Case, int Batch, double SamplesPerSecond, double CpuSecondsPer1000, long Steps,
    double? BytesSentPerStep, double? AllocatedBytesPerStep, int[]? Collections, long PeakRssBytes, double TestAccuracy,
    double? SecondsToTarget = null, int? EpochsToTarget = null);

/// <summary>The network and recipe every case trains: examples/fashion-mnist.json's
/// 784-256-128-10 ReLU network, softmax cross-entropy, momentum SGD (η 0.05, μ 0.9), seed 1.</summary>
internal static class BenchSetup
{
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <param name="data">a folder of MNIST-layout IDX files</param>
    /// <param name="groups">neuron groups of the first layer (the others have one)</param>
    public static RunSpec Spec(string data, int batch, int epochs, int? samples, int groups = 1) => new()
    {
        Name = "bench",
        Seed = 1,
        Data = new DataSpec { Train = data, Scaling = "unitRange", MaxTrainSamples = samples },
        Layers =
        [
            new LayerSpec { Size = 256, Activation = Activation.Relu, Groups = groups },
            new LayerSpec { Size = 128, Activation = Activation.Relu },
            new LayerSpec { Size = 10, Activation = Activation.Softmax },
        ],
        Loss = Loss.SoftmaxCrossEntropy,
        Optimizer = new OptimizerSettings(OptimizerKind.Momentum, 0.05, Momentum: 0.9),
        BatchSize = batch,
        Epochs = epochs,
    };

    /// <summary>Floating-point operations one training sample costs: per layer 2·in·out forward,
    /// as much for the weight gradient, and as much for the input gradient except at the first
    /// layer, which has none to pass back (1,007,104 for 784-256-128-10).</summary>
    public static double FlopsPerSample(ModelLayout layout) =>
        layout.Layers.Select((l, i) => 2.0 * l.Inputs * l.Outputs * (i == 0 ? 2 : 3)).Sum();

    /// <summary>Writes a stand-in for Fashion-MNIST into <paramref name="folder"/> (the same shapes:
    /// 60,000 and 10,000 images of 28 × 28 bytes, 10 classes, random from a fixed seed) and returns it.
    /// It trains exactly as fast; nothing can be learnt from it.</summary>
    public static string WriteSynthetic(string folder)
    {
        Directory.CreateDirectory(folder);
        var rng = new Rng(1);
        Write("train", 60_000);
        Write("t10k", 10_000);
        return folder;

        void Write(string prefix, int count)
        {
            var pixels = new byte[16 + count * 784];
            BinaryPrimitives.WriteInt32BigEndian(pixels, 0x0803);
            BinaryPrimitives.WriteInt32BigEndian(pixels.AsSpan(4), count);
            BinaryPrimitives.WriteInt32BigEndian(pixels.AsSpan(8), 28);
            BinaryPrimitives.WriteInt32BigEndian(pixels.AsSpan(12), 28);
            for (var i = 16; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            var labels = new byte[8 + count];
            BinaryPrimitives.WriteInt32BigEndian(labels, 0x0801);
            BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
            for (var i = 8; i < labels.Length; i++) labels[i] = (byte)(i % 10);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), pixels);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), labels);
        }
    }

    /// <summary>The process's peak resident set (VmHWM), or 0 where /proc is not there.</summary>
    public static long PeakRss(int? pid = null) => ReadStatus(pid, "VmHWM:");

    private static long ReadStatus(int? pid, string key)
    {
        var path = $"/proc/{(pid is null ? "self" : pid.ToString())}/status";
        if (!File.Exists(path)) return 0;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
        return 0;
    }

    /// <summary>User + system CPU time a process has used so far, from /proc/PID/stat.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) "
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);     // utime, stime: fields 14 and 15
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    // sysconf(_SC_CLK_TCK): 100 on every Linux that .NET runs on.
    private const int ClockTicksPerSecond = 100;
}

using System.Diagnostics;
using ActorNet.Actors;
using ActorNet.Data;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;

namespace ActorNet.Cli.Bench;

/// <summary>The cases that train in one process: the plain loop over the kernels (the floor), and
/// one replica through the layer actors as <c>actornet local</c> trains (its run journaled and
/// checkpointed in SQLite), with the first layer in one group or split into four group actors.
/// Each runs in a process of its own (<c>actornet bench</c> starts it), so that one case's
/// memory, compiled code and collections do not count for another.</summary>
internal static class LocalCases
{
    /// <param name="target">a test accuracy whose time to reach is measured, or null</param>
    public static async Task<CaseResult> RunAsync(string name, string data, int batch, int epochs, int? samples, string workDirectory, double? target)
    {
        if (epochs < 2) throw new ArgumentException("--epochs: the first epoch warms up and is not measured, so at least 2");
        var spec = BenchSetup.Spec(data, batch, epochs, samples, groups: name == "groups" ? 4 : 1);
        var (train, test, _, _) = DataCache.Get(spec, baseDirectory: null); // not on the clock: PyTorch's peer loads its data off it too
        var layout = ModelLayout.From(spec, train.FeatureCount);
        var window = new Window();
        var training = Stopwatch.StartNew();
        (double Seconds, int Epoch)? reached = null;
        void Reached(int epoch, double accuracy)
        {
            if (reached is null && accuracy >= target) reached = (training.Elapsed.TotalSeconds, epoch);
        }
        double accuracy;
        if (name == "plain")
        {
            var plain = new PlainTraining<float>(spec, layout, train, layout.InitialParameters<float>(spec));
            var schedule = plain.Schedule;
            accuracy = double.NaN;
            for (var epoch = 1; epoch <= epochs; epoch++)
            {
                for (var s = 0; s < schedule.StepsPerEpoch; s++) plain.TrainStep();
                accuracy = Inference.Evaluate<float>(layout, plain.Parameters, spec.Loss, test).Accuracy;
                Reached(epoch, accuracy);
                if (epoch == 1) window.Start();
            }
            window.Stop(schedule.StepsPerEpoch * (long)(epochs - 1), schedule.TrainCount * (long)(epochs - 1));
        }
        else
        {
            var database = Database.Parse(Path.Combine(workDirectory, $"{name}-{batch}.db"));
            database.PrepareForWriting();
            await using var node = await NodeHost.StartAsync(NodeRole.InProcess("bench", journals: true),
                [new("ActorNet:Db", database.ConnectionString), new("ActorNet:LogFile", Path.Combine(workDirectory, $"{name}-{batch}.log"))]);
            var system = node.System;
            training.Restart();
            var run = LocalTraining.Start(system, spec, workers: 1, storage: RunStorage.Sql);
            var steps = 0L;
            var done = await run.WaitAsync(e =>
            {
                if (e is StepCompleted) steps++;
                if (e is EpochCompleted completed) Reached(completed.Epoch, completed.TestAccuracy);
                if (e is EpochCompleted { Epoch: 1 })
                {
                    window.Start();
                    steps = 0;
                }
            });
            window.Stop(steps, train.Count * (long)(epochs - 1));
            accuracy = done.Epochs[^1].TestAccuracy;
            await node.StopAsync();
        }
        return window.Result(name, batch, accuracy) with { SecondsToTarget = reached?.Seconds, EpochsToTarget = reached?.Epoch };
    }

    /// <summary>Wall time, this process's CPU time, its allocations (every thread) and collections
    /// between Start and Stop.</summary>
    private sealed class Window
    {
        private readonly Stopwatch _clock = new();
        private TimeSpan _cpu;
        private long _allocated;
        private readonly int[] _collections = new int[3];
        private long _steps, _samples;

        public void Start()
        {
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _allocated = GC.GetTotalAllocatedBytes(precise: true);
            for (var g = 0; g < 3; g++) _collections[g] = GC.CollectionCount(g);
            _clock.Restart();
        }

        public void Stop(long steps, long samples)
        {
            _clock.Stop();
            _cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
            _allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
            for (var g = 0; g < 3; g++) _collections[g] = GC.CollectionCount(g) - _collections[g];
            (_steps, _samples) = (steps, samples);
        }

        public CaseResult Result(string name, int batch, double accuracy) => new(name, batch,
            _samples / _clock.Elapsed.TotalSeconds, _cpu.TotalSeconds * 1000 / _samples, _steps,
            BytesSentPerStep: null, AllocatedBytesPerStep: (double)_allocated / Math.Max(_steps, 1), _collections, BenchSetup.PeakRss(), accuracy);
    }
}

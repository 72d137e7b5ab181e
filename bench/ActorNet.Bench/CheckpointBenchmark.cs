using System.Diagnostics;
using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;

namespace ActorNet.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/ActorNet.Bench -- checkpoints [--db X] [--every N] [--checkpoints K]</c>:
/// trains a 10-million-parameter model (Fashion-MNIST inputs, 784 → 4096 → 1536 → 10, Adam, so a
/// checkpoint holds three float32 copies of the parameters, 109 MiB; --optimizer sgd: one) with a checkpoint every N
/// steps (default 10) until K (default 5) are stored, then stops the actor system and resumes
/// the run on a new one, three times. Prints, per checkpoint,
/// how long training stood still for it and how long the store took after that, and how long
/// recovery took. Not BenchmarkDotNet: the quantities are a real database's, once per event,
/// read from the run's own measurements (<see cref="CheckpointSaved"/>, <see cref="RunResumed"/>).
/// </summary>
internal static class CheckpointBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dbArgument = Value(args, "--db");
        var every = int.Parse(Value(args, "--every") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        var count = int.Parse(Value(args, "--checkpoints") ?? "5", System.Globalization.CultureInfo.InvariantCulture);
        var optimizer = Value(args, "--optimizer") ?? "adam"; // adam: 3 copies of the parameters per checkpoint; sgd: 1
        var folder = Path.Combine(Path.GetTempPath(), "actornet-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var database = Database.Parse(dbArgument ?? Path.Combine(folder, "bench.db"));
            database.PrepareForWriting();
            var spec = RunSpecReader.Parse($$"""
                {
                  "name": "checkpoint-bench", "seed": 3,
                  "data": { "train": "/usr/share/datasets/fashion-mnist", "scaling": "unitRange", "maxTrainSamples": {{64 * every * count}} },
                  "layers": [ { "size": 4096, "activation": "relu" }, { "size": 1536, "activation": "relu" }, { "size": 10, "activation": "softmax" } ],
                  "loss": "softmaxCrossEntropy", "optimizer": { "kind": "{{optimizer}}", "learningRate": 0.001 },
                  "batchSize": 64, "epochs": 2, "checkpoint": { "everySteps": {{every}}, "keep": 2 }
                }
                """);
            var id = Guid.NewGuid();
            var saved = new List<CheckpointSaved>();
            var clock = Stopwatch.StartNew();
            await using (var node = await Node(database))
            {
                var run = LocalTraining.Start(node.System, spec, storage: RunStorage.Sql, runId: id);
                await foreach (var e in run.Events.ReadAllAsync())
                {
                    if (e is CheckpointSaved c) saved.Add(c);
                    if (saved.Count >= count) break;
                }
                await node.StopAsync();
            }
            var layout = ModelLayout.From(spec, 784);
            Console.WriteLine($"model: {layout.ParameterCount:N0} parameters, float32, {optimizer}: {layout.CheckpointBytes(spec.Optimizer.Kind, sizeof(float)) / (double)(1 << 20):F0} MiB per checkpoint; database {database.Display}");
            Console.WriteLine($"{"step",6} {"training paused (ms)",22} {"store, after the pause (ms)",28}");
            foreach (var c in saved) Console.WriteLine($"{c.Step,6} {c.PauseMilliseconds,22:F1} {c.SaveMilliseconds,28:F0}");

            var recoveries = new List<RunResumed>();
            for (var i = 0; i < 3; i++)
            {
                await using var node = await Node(database);
                var run = LocalTraining.Start(node.System, spec, storage: RunStorage.Sql, runId: id);
                await foreach (var e in run.Events.ReadAllAsync())
                    if (e is RunResumed r)
                    {
                        recoveries.Add(r);
                        break;
                    }
                await node.StopAsync();
            }
            foreach (var r in recoveries) Console.WriteLine($"recovery of the checkpoint after step {r.Step}: {r.RecoveryMilliseconds:F0} ms");
            Console.WriteLine($"median: pause {Median(saved.Select(s => s.PauseMilliseconds)):F1} ms, save {Median(saved.Select(s => s.SaveMilliseconds)):F0} ms, " +
                              $"recovery {Median(recoveries.Select(r => r.RecoveryMilliseconds)):F0} ms (wall time {clock.Elapsed.TotalSeconds:F0} s)");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The run's process as <c>actornet local</c> hosts it, journaling to <paramref name="database"/>; no log file.</summary>
    private static Task<NodeHost> Node(Database database) => NodeHost.StartAsync(NodeRole.InProcess("bench", journals: true),
        new Dictionary<string, string?> { ["ActorNet:Db"] = database.ConnectionString, ["ActorNet:LogFile"] = "", ["ActorNet:LogLevel"] = "Warning" });

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

using System.Numerics;
using System.Threading.Channels;
using ActorNet.Actors;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using Akka.Actor;

namespace ActorNet.Training;

/// <summary>A run in progress in this process: its events as they happen, and a way to stop it.</summary>
public sealed class RunHandle(Guid runId, IActorRef run, ChannelReader<IActorNetMessage> events)
{
    public Guid RunId { get; } = runId;

    /// <summary>Every StepCompleted, StepTraced, EpochCompleted and WorkerLeftOut, ending with one RunCompleted or RunFailed.</summary>
    public ChannelReader<IActorNetMessage> Events { get; } = events;

    /// <summary>Ask the run to stop after the step in progress.</summary>
    public void Stop() => run.Tell(new StopRun(RunId));

    /// <summary>Reads events until the run ends, handing each to <paramref name="onEvent"/>;
    /// returns the final <see cref="RunCompleted"/> or throws <see cref="RunFailedException"/>.</summary>
    public async Task<RunCompleted> WaitAsync(Action<IActorNetMessage>? onEvent = null, CancellationToken cancellation = default)
    {
        await foreach (var e in Events.ReadAllAsync(cancellation))
        {
            onEvent?.Invoke(e);
            switch (e)
            {
                case RunCompleted done: return done;
                case RunFailed failed: throw new RunFailedException(failed);
            }
        }
        throw new InvalidOperationException($"run {RunId} ended without a result");
    }
}

public sealed class RunFailedException(RunFailed failure) : Exception($"run failed at step {failure.Step}: {failure.Reason}")
{
    public RunFailed Failure { get; } = failure;
}

/// <summary>Runs inside one actor system: the very run, shard, worker, replica, layer and
/// group actors a cluster uses, with the workers in this process.</summary>
public static class LocalTraining
{
    /// <param name="baseDirectory">folder relative data paths in the spec start from</param>
    /// <param name="storage">where the run is journaled and checkpointed; default in memory</param>
    /// <param name="runId">a new run's id (default: a fresh one), or the id of a stored run to resume from its last checkpoint</param>
    public static RunHandle Start(ActorSystem system, RunSpec spec, string? baseDirectory = null, int workers = 1, bool trace = false,
        RunStorage? storage = null, Guid? runId = null)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "a run needs at least one worker");
        var data = DataCache.Get(spec, baseDirectory);
        if (Batches.CheckOutputs(data.Train, spec.Layers[^1].Size) is { } problem)
            throw new RunSpecException(spec.Name, [$"layers[{spec.Layers.Count - 1}].size: {problem}"]);
        // A spec too big for this machine is refused before any array is allocated.
        if (RunFootprint.Problems(spec, data.Train.FeatureCount, RunFootprint.DefaultLimitBytes, "four fifths of the memory this process may use") is { Count: > 0 } tooBig)
            throw new RunSpecException(spec.Name, tooBig);
        var id = runId ?? Guid.NewGuid();
        var workerRefs = Enumerable.Range(0, workers)
            .Select(k => system.ActorOf(WorkerActor.Props(), $"worker-{id:N}-{k:D3}")).ToArray();
        var channel = Channel.CreateUnbounded<IActorNetMessage>(new UnboundedChannelOptions { SingleReader = true });
        var listener = system.ActorOf(RunWatcherActor.Props(channel.Writer, workerRefs), $"watch-{id:N}");
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var run = spec.Precision == Precision.Float64
            ? system.ActorOf(TrainingRunActor<double>.Props(Setup<double>()), $"run-{id:N}")
            : system.ActorOf(TrainingRunActor<float>.Props(Setup<float>()), $"run-{id:N}");
        listener.Tell(new RunWatcherActor.WatchRun(run, id));
        return new RunHandle(id, run, channel.Reader);

        RunSetup<T> Setup<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(id, spec, baseDirectory, layout, data, layout.InitialParameters<T>(spec), workerRefs, trace, listener, FixedWorkers: true, MinWorkers: workers,
                Storage: storage);
    }
}

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

    /// <summary>Every StepCompleted, StepTraced and EpochCompleted, ending with one RunCompleted or RunFailed.</summary>
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

/// <summary>Starts runs inside one actor system: the same run, shard, replica, layer and
/// group actors a cluster uses, all in this process.</summary>
public static class LocalTraining
{
    public static RunHandle Start(ActorSystem system, RunSpec spec, DataSet train, DataSet test, int workers = 1, bool trace = false)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "a run needs at least one worker");
        if (Batches.CheckOutputs(train, spec.Layers[^1].Size) is { } problem)
            throw new RunSpecException(spec.Name, [$"layers[{spec.Layers.Count - 1}].size: {problem}"]);
        var runId = Guid.NewGuid();
        var channel = Channel.CreateUnbounded<IActorNetMessage>(new UnboundedChannelOptions { SingleReader = true });
        var listener = system.ActorOf(Props.Create(() => new ChannelWriterActor(channel.Writer)), $"watch-{runId:N}");
        var layout = ModelLayout.From(spec, train.FeatureCount);
        var run = spec.Precision == Precision.Float64
            ? system.ActorOf(TrainingRunActor<double>.Props(Setup<double>(runId, spec, layout, train, test, workers, trace, listener)), $"run-{runId:N}")
            : system.ActorOf(TrainingRunActor<float>.Props(Setup<float>(runId, spec, layout, train, test, workers, trace, listener)), $"run-{runId:N}");
        return new RunHandle(runId, run, channel.Reader);
    }

    private static RunSetup<T> Setup<T>(Guid runId, RunSpec spec, ModelLayout layout, DataSet train, DataSet test, int workers, bool trace, IActorRef listener)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new(runId, spec, layout, train, test, layout.InitialParameters<T>(spec), workers, trace, listener);

    /// <summary>Passes a run's events to a channel; stops itself after the last one.</summary>
    private sealed class ChannelWriterActor : ReceiveActor
    {
        public ChannelWriterActor(ChannelWriter<IActorNetMessage> writer)
        {
            Receive<IActorNetMessage>(m =>
            {
                writer.TryWrite(m);
                if (m is RunCompleted or RunFailed)
                {
                    writer.TryComplete();
                    Context.Stop(Self);
                }
            });
        }
    }
}

using System.Threading.Channels;
using ActorNet.Protocol;
using Akka.Actor;

namespace ActorNet.Actors;

/// <summary>Passes a local run's events to a channel that code outside the actor system
/// reads; after the last one (completed or failed) it stops the run's local workers and itself.</summary>
public sealed class RunWatcherActor : ReceiveActor
{
    public static Props Props(ChannelWriter<IActorNetMessage> writer, IReadOnlyList<IActorRef> workers) =>
        Akka.Actor.Props.Create(() => new RunWatcherActor(writer, workers));

    private readonly ChannelWriter<IActorNetMessage> _writer;
    private readonly IReadOnlyList<IActorRef> _workers;
    private Guid _runId;

    public RunWatcherActor(ChannelWriter<IActorNetMessage> writer, IReadOnlyList<IActorRef> workers)
    {
        _writer = writer;
        _workers = workers;
        Receive<IActorNetMessage>(HandleEvent);
        Receive<WatchRun>(m =>
        {
            _runId = m.RunId;
            Context.Watch(m.Run);
        });
        // The run stopped without saying how it ended (its actor system is shutting down):
        // the reader must not wait for ever.
        Receive<Terminated>(_ => HandleEvent(new RunFailed(_runId, -1, "the run stopped without a result")));
    }

    /// <summary>Watch this run: if it stops without a final event, report it as failed.</summary>
    public sealed record WatchRun(IActorRef Run, Guid RunId);

    private void HandleEvent(IActorNetMessage m)
    {
        _writer.TryWrite(m);
        if (m is not (RunCompleted or RunFailed)) return;
        _writer.TryComplete();
        foreach (var w in _workers) w.Tell(PoisonPill.Instance);
        Context.Stop(Self);
    }
}

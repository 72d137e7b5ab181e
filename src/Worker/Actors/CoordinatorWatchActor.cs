using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorNet.Worker.Actors;

/// <summary>
/// Ends this worker's membership when the coordinator leaves the cluster (it was downed after
/// dying, or shut down): the worker process then starts a fresh actor system that joins the
/// seed nodes again, so that a coordinator started again finds its workers without anyone
/// restarting them. Any replicas go with the old system; they held no state that matters.
/// </summary>
public sealed class CoordinatorWatchActor : ReceiveActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new CoordinatorWatchActor());

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public CoordinatorWatchActor()
    {
        Receive<ClusterEvent.MemberRemoved>(HandleRemoved);
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    /// <summary>The reason CoordinatedShutdown is given, so the process knows to join again rather than exit.</summary>
    public sealed class CoordinatorLost : CoordinatedShutdown.Reason
    {
        public static readonly CoordinatorLost Instance = new();

        public override int ExitCode => 0;
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void HandleRemoved(ClusterEvent.MemberRemoved m)
    {
        if (!m.Member.HasRole("coordinator")) return;
        _log.Warning("Coordinator {Address} left the cluster: leaving too, to join it again when it is back", m.Member.Address);
        CoordinatedShutdown.Get(Context.System).Run(CoordinatorLost.Instance);
    }
}

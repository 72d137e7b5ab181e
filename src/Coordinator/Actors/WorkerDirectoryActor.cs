using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorNet.Coordinator.Actors;

/// <summary>Coordinator → subscriber: a worker node's worker actor is reachable.</summary>
public sealed record WorkerAvailable(IActorRef Worker);

/// <summary>
/// Follows the cluster: when a member with the worker role is up, finds its worker actor
/// (/user/worker) and tells the subscriber; watches it, so a worker that leaves, is downed
/// or dies is forgotten. The coordinator's view of who can host replicas.
/// </summary>
public sealed class WorkerDirectoryActor : ReceiveActor, IWithTimers
{
    public static Props Props(IActorRef subscriber) => Akka.Actor.Props.Create(() => new WorkerDirectoryActor(subscriber));

    private const int IdentifyAttempts = 20;

    private readonly IActorRef _subscriber;
    private readonly HashSet<IActorRef> _workers = [];
    private readonly Dictionary<string, (Member Member, int Attempt)> _finding = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public WorkerDirectoryActor(IActorRef subscriber)
    {
        _subscriber = subscriber;
        Receive<ClusterEvent.MemberUp>(m => Find(m.Member, 1));
        Receive<ClusterEvent.CurrentClusterState>(s =>
        {
            foreach (var m in s.Members.Where(m => m.Status == MemberStatus.Up)) Find(m, 1);
        });
        Receive<ClusterEvent.UnreachableMember>(m => _log.Warning("Cluster: {Address} ({Roles}) is unreachable", m.Member.Address, string.Join(",", m.Member.Roles)));
        Receive<ClusterEvent.MemberRemoved>(m => _log.Info("Cluster: {Address} removed", m.Member.Address));
        Receive<Retry>(r => Find(r.Member, r.Attempt));
        Receive<ActorIdentity>(HandleIdentity);
        Receive<Terminated>(t =>
        {
            if (_workers.Remove(t.ActorRef)) _log.Warning("Worker {Worker} is gone; {Count} left", t.ActorRef.Path, _workers.Count);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Find(Member member, int attempt)
    {
        if (!member.HasRole("worker")) return;
        var path = new RootActorPath(member.Address) / "user" / "worker";
        // The identify id travels to the worker and back: a plain string (the address), not our type.
        var key = member.Address.ToString();
        _finding[key] = (member, attempt);
        Context.ActorSelection(path).Tell(new Identify(key));
    }

    private void HandleIdentity(ActorIdentity id)
    {
        if (id.MessageId is not string key || !_finding.Remove(key, out var found)) return;
        var r = new Retry(found.Member, found.Attempt);
        if (id.Subject is null)
        {
            // The node is up but its worker actor not yet started: ask again shortly.
            if (r.Attempt < IdentifyAttempts)
                Timers.StartSingleTimer(r.Member.Address, r with { Attempt = r.Attempt + 1 }, TimeSpan.FromMilliseconds(250 * r.Attempt));
            else
                _log.Warning("Cluster: {Address} has the worker role but no /user/worker", r.Member.Address);
            return;
        }
        if (!_workers.Add(id.Subject)) return;
        Context.Watch(id.Subject);
        _log.Info("Worker {Worker} is ready; {Count} worker(s)", id.Subject.Path, _workers.Count);
        _subscriber.Tell(new WorkerAvailable(id.Subject));
    }

    private sealed record Retry(Member Member, int Attempt);
}

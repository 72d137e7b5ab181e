using System.Numerics;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using Akka.Actor;
using Akka.Event;

namespace ActorNet.Actors;

/// <summary>
/// Hosts model replicas on this node, one per run that asks: loads the run's data itself
/// (only indices travel), checks that its copy is the run's (same rows, same SHA-256), and
/// builds the replica. The worker process has one; local mode has as many as it has workers.
/// </summary>
public sealed class WorkerActor : ReceiveActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new WorkerActor());

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Guid, (IActorRef Replica, IActorRef Run)> _replicas = [];

    public WorkerActor()
    {
        Receive<StartReplica<float>>(Start);
        Receive<StartReplica<double>>(Start);
        Receive<Terminated>(HandleTerminated);
    }

    private string Name => Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);

    private void Start<T>(StartReplica<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_replicas.ContainsKey(m.RunId)) return; // a repeated request: the first one answered
        RunSpec spec;
        DataCache.Entry data;
        try
        {
            spec = RunSpecReader.Parse(m.SpecJson, $"run {m.RunId}");
            data = DataCache.Get(spec, m.BaseDirectory);
        }
        catch (Exception e) when (e is RunSpecException or DataFormatException or IOException or ArgumentException)
        {
            Refuse(m.RunId, $"cannot load the run's data: {e.Message}");
            return;
        }
        if (data.Train.Count != m.TrainRows || data.TrainSha256 != m.DataSha256)
        {
            Refuse(m.RunId, $"this worker's training data differ from the run's: {data.Train.Count} rows, SHA-256 {data.TrainSha256[..12]}…, " +
                            $"expected {m.TrainRows} rows, SHA-256 {m.DataSha256[..Math.Min(12, m.DataSha256.Length)]}…");
            return;
        }
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var replica = Context.ActorOf(
            ReplicaActor<T>.Props(m.RunId, layout, spec.Loss, spec.MicroBatches, data.Train, m.Parameters, m.Version,
                gated: spec.Sync.Mode == SyncMode.Synchronous, m.Shards),
            $"replica-{m.RunId:N}");
        Context.Watch(Sender); // the run: when it ends (it stops itself) or dies, its replica goes
        _replicas[m.RunId] = (replica, Sender);
        _log.Info("Worker: replica of run {RunId} started at version {Version} ({Rows} training rows)", m.RunId, m.Version, data.Train.Count);
        Sender.Tell(new ReplicaStarted(m.RunId, replica, Name));
    }

    private void Refuse(Guid runId, string reason)
    {
        _log.Warning("Worker: no replica for run {RunId}: {Reason}", runId, reason);
        Sender.Tell(new ReplicaRefused(runId, Name, reason));
    }

    private void Stop(Guid runId)
    {
        if (!_replicas.Remove(runId, out var r)) return;
        Context.Unwatch(r.Run);
        Context.Stop(r.Replica);
    }

    private void HandleTerminated(Terminated t)
    {
        foreach (var (runId, r) in _replicas.Where(p => p.Value.Run.Equals(t.ActorRef)).ToArray())
        {
            _log.Info("Worker: run {RunId} is gone; dropping its replica", runId);
            Stop(runId);
        }
    }
}

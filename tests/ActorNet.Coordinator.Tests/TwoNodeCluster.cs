using ActorNet.Actors;
using ActorNet.Coordinator.Actors;
using ActorNet.Coordinator.Runs;
using ActorNet.Hosting;
using Akka.Actor;
using Akka.Cluster;

namespace ActorNet.Coordinator.Tests;

/// <summary>A coordinator node and worker nodes as separate actor systems in this process,
/// on 127.0.0.1 with ports chosen by the OS, joined into one cluster over Akka.Remote (so
/// every message between them goes through the wire serializer).</summary>
internal sealed class TwoNodeCluster : IAsyncDisposable
{
    private readonly List<ActorSystem> _systems = [];

    public ActorSystem Coordinator { get; private set; } = null!;
    public List<ActorSystem> Workers { get; } = [];
    public IActorRef Runs { get; private set; } = ActorRefs.Nobody;

    public static async Task<TwoNodeCluster> StartAsync(int workers)
    {
        var c = new TwoNodeCluster();
        c.Coordinator = c.Node("coordinator");
        var cluster = Cluster.Get(c.Coordinator);
        cluster.Join(cluster.SelfAddress);
        for (var k = 0; k < workers; k++)
        {
            var w = c.Node("worker");
            w.ActorOf(WorkerActor.Props(), "worker");
            c.Workers.Add(w);
            Cluster.Get(w).Join(cluster.SelfAddress);
        }
        await WaitAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == workers + 1, TimeSpan.FromSeconds(30), "the cluster to form");
        c.Runs = c.Coordinator.ActorOf(RunManagerActor.Props(RunStorage.InMemory), "runs");
        return c;
    }

    private ActorSystem Node(string role)
    {
        var settings = new NodeSettings { Port = 0, LogLevel = "Warning" };
        var system = ActorSystem.Create(NodeSettings.SystemName, settings.ToAkkaConfig(role));
        _systems.Add(system);
        return system;
    }

    /// <summary>Stops the run manager and starts it again on the same journal, as a coordinator
    /// process started again on the same database would.</summary>
    public async Task RestartRunManagerAsync()
    {
        await Runs.GracefulStop(TimeSpan.FromSeconds(10));
        Runs = Coordinator.ActorOf(RunManagerActor.Props(RunStorage.InMemory), "runs-" + Guid.NewGuid().ToString("N"));
    }

    public async Task<Guid> SubmitAsync(string specJson, int minWorkers)
    {
        var answer = await Runs.Ask<object>(new SubmitRun(specJson, minWorkers), TimeSpan.FromSeconds(60));
        return answer switch
        {
            RunAccepted a => a.RunId,
            RunRejected r => throw new InvalidOperationException("rejected: " + string.Join("; ", r.Errors)),
            _ => throw new InvalidOperationException($"unexpected answer {answer}"),
        };
    }

    public async Task<RunStatus> WaitForEndAsync(Guid id, TimeSpan timeout)
    {
        RunStatus? status = null;
        await WaitAsync(async () =>
        {
            status = (await Runs.Ask<CurrentRun>(new GetRun(id), TimeSpan.FromSeconds(10))).Run;
            return status?.State is "completed" or "failed" or "cancelled";
        }, timeout, $"run {id} to end");
        return status!;
    }

    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what) => WaitAsync(() => Task.FromResult(condition()), timeout, what);

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"gave up waiting for {what} after {timeout}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Enumerable.Reverse(_systems)) await s.Terminate();
    }
}

using ActorNet.Actors;
using ActorNet.Coordinator.Actors;
using ActorNet.Coordinator.Runs;
using ActorNet.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;

namespace ActorNet.Coordinator.Tests;

/// <summary>A coordinator node and worker nodes as separate hosts in this process
/// (<see cref="ActorNetHosting.AddActorNet"/>, as the executables build them), on 127.0.0.1 with ports
/// chosen by the OS, joined into one cluster over Akka.Remote (so every message between them goes
/// through the wire serializer). The runs are journaled in memory, not in a database.</summary>
internal sealed class TwoNodeCluster : IAsyncDisposable
{
    private readonly List<NodeHost> _nodes = [];

    public ActorSystem Coordinator { get; private set; } = null!;
    public List<ActorSystem> Workers { get; } = [];
    public IActorRef Runs { get; private set; } = ActorRefs.Nobody;

    public static async Task<TwoNodeCluster> StartAsync(int workers)
    {
        var c = new TwoNodeCluster();
        try
        {
            // Without seed nodes the coordinator forms the cluster by joining itself.
            c.Coordinator = await c.NodeAsync(NodeRole.Coordinator with { Journals = false });
            var cluster = Cluster.Get(c.Coordinator);
            for (var k = 0; k < workers; k++)
                c.Workers.Add(await c.NodeAsync(NodeRole.Worker, cluster.SelfAddress.ToString(),
                    (akka, _) => akka.WithActors((system, _) => system.ActorOf(WorkerActor.Props(), "worker"))));
            await WaitAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == workers + 1, TimeSpan.FromSeconds(30), "the cluster to form");
            c.Runs = c.Coordinator.ActorOf(RunManagerActor.Props(RunStorage.InMemory), "runs");
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    private async Task<ActorSystem> NodeAsync(NodeRole role, string? seed = null, Action<AkkaConfigurationBuilder, IServiceProvider>? configure = null)
    {
        var settings = new Dictionary<string, string?> { ["ActorNet:Port"] = "0", ["ActorNet:LogLevel"] = "Warning", ["ActorNet:LogFile"] = "" };
        if (seed is not null) settings["ActorNet:SeedNodes:0"] = seed;
        var node = await NodeHost.StartAsync(role, settings, configure);
        _nodes.Add(node);
        return node.System;
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
        foreach (var node in Enumerable.Reverse(_nodes)) await node.DisposeAsync();
    }
}

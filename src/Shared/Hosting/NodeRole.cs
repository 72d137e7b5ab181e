using Serilog.Events;

namespace ActorNet.Hosting;

/// <summary>
/// What a process is to ActorNet, and the defaults that follow from it (<see cref="ActorNetHosting.AddActorNet"/>
/// builds the actor system from it and <see cref="NodeSettings"/>). The roles are fixed here, in code, so
/// that a node needs no settings file: <see cref="Coordinator"/> and <see cref="Worker"/> are cluster
/// nodes, <see cref="InProcess"/> the console's commands that run every actor in one process.
/// </summary>
public sealed record NodeRole
{
    /// <summary>The name: the node's cluster role, its log file (logs/actornet-NAME.log) and the
    /// "NAME: …" of the lines it prints when it cannot start.</summary>
    public required string Name { get; init; }

    /// <summary>Whether the node joins a cluster (Akka.Remote and Akka.Cluster). Default true; false:
    /// everything runs in this process, and the process, not Akka, decides when it stops (the console
    /// finishes a run's step on Ctrl+C).</summary>
    public bool Clustered { get; init; } = true;

    /// <summary>The Akka.Remote port when <see cref="NodeSettings.Port"/> is not given. Default 0 (any free port).</summary>
    public int DefaultPort { get; init; }

    /// <summary>Without seed nodes the node forms the cluster by joining itself (true), or refuses to
    /// start (false: it must be told where the cluster is). Default false.</summary>
    public bool FormsCluster { get; init; }

    /// <summary>Whether runs are journaled and checkpointed in <see cref="NodeSettings.Db"/>
    /// (Akka.Persistence.Sql). Default false.</summary>
    public bool Journals { get; init; }

    /// <summary>The log level when <see cref="NodeSettings.LogLevel"/> is not given. Default Information.</summary>
    public LogEventLevel DefaultLogLevel { get; init; } = LogEventLevel.Information;

    /// <summary>The coordinator: Akka.Remote on port 4053, forms the cluster (its own seed unless told
    /// otherwise), journals runs in its database.</summary>
    public static NodeRole Coordinator { get; } = new() { Name = "coordinator", DefaultPort = 4053, FormsCluster = true, Journals = true };

    /// <summary>A worker: any free port, and it must be given the cluster's seed nodes.</summary>
    public static NodeRole Worker { get; } = new() { Name = "worker" };

    /// <summary>Every actor in this process, no cluster (<c>actornet local</c>, <c>example</c>, <c>bench</c>'s
    /// in-process cases, tests).</summary>
    /// <param name="name">the command: names the log file</param>
    /// <param name="journals">runs journaled and checkpointed in <see cref="NodeSettings.Db"/></param>
    /// <param name="logLevel">the default log level (the worked example runs 10,000 one-sample epochs, not worth a line each)</param>
    public static NodeRole InProcess(string name, bool journals, LogEventLevel logLevel = LogEventLevel.Information) =>
        new() { Name = name, Clustered = false, Journals = journals, DefaultLogLevel = logLevel };
}

using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using Akka.Actor;

namespace ActorNet.Actors;

/// <summary>Everything a run actor starts from.</summary>
/// <param name="Workers">worker actors to ask for replicas at the start (more may come with <see cref="AddWorker"/>)</param>
/// <param name="BaseDirectory">folder relative data paths in the spec start from</param>
/// <param name="Trace">also send <see cref="StepTraced"/> after every step</param>
/// <param name="MinWorkers">replicas the first step waits for (so that a run repeats exactly, it always starts on as many)</param>
/// <param name="FixedWorkers">the workers given are all there will be (local mode): the first step starts once
/// each has answered, and the run fails if all refuse. Otherwise (a cluster) the run waits for MinWorkers.</param>
/// <param name="Storage">where the run's journal and checkpoints go; default in memory (nothing survives the process)</param>
public sealed record RunSetup<T>(Guid RunId, RunSpec Spec, string? BaseDirectory, ModelLayout Layout, DataCache.Entry Data, T[][] InitialParameters,
    IReadOnlyList<IActorRef> Workers, bool Trace, IActorRef Listener, bool FixedWorkers = true, int MinWorkers = 1, RunStorage? Storage = null);

/// <summary>The Akka.Persistence plugins a run journals and checkpoints to.</summary>
public sealed record RunStorage(string JournalPluginId, string SnapshotPluginId)
{
    /// <summary>Akka.Persistence's in-memory plugins: for tests and the worked example.</summary>
    public static readonly RunStorage InMemory = new("akka.persistence.journal.inmem", "akka.persistence.snapshot-store.inmem");

    /// <summary>Akka.Persistence.Sql on the node's database, as AddActorNet configures it.</summary>
    public static readonly RunStorage Sql = new(Persistence.Database.JournalPluginId, Persistence.Database.SnapshotPluginId);
}

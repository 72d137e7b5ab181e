using ActorNet.Actors;
using ActorNet.Coordinator.Actors;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Tests;
using Akka.Actor;
using Akka.Persistence;
using Xunit;

namespace ActorNet.Coordinator.Tests;

/// <summary>One bad run can neither be admitted nor wedge the coordinator: a spec too big for the
/// machine is refused with its figure, and one that got into the journal anyway fails alone.</summary>
public sealed class AdmissionTests
{
    private static string Circles(int epochs) =>
        File.ReadAllText(RepoFiles.PathOf("examples", "circles.json")).Replace("\"epochs\": 40", $"\"epochs\": {epochs}");

    /// <summary>The circles with a first layer of 10⁹ neurons: 3·10⁹ parameters in one layer.</summary>
    private static string Poison => Circles(3).Replace("{ \"size\": 16,", "{ \"size\": 1000000000,");

    [Fact]
    public async Task A_spec_too_big_for_the_machine_is_refused_naming_the_figure_and_the_setting()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 0);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.SubmitAsync(Poison, minWorkers: 1));
        Assert.Contains($"layers[0].size: 2 inputs × 1,000,000,000 neurons + 1,000,000,000 biases = 3,000,000,000 parameters; one layer holds at most {Array.MaxLength:N0}", e.Message);
        Assert.Contains("GiB allowed by ActorNet:MaxRunBytes (--max-run-bytes, ACTORNET__MAXRUNBYTES)", e.Message);
        Assert.Empty((await cluster.Runs.Ask<CurrentRuns>(GetRuns.Instance, TimeSpan.FromSeconds(10))).Runs); // nothing admitted
    }

    [Fact]
    public async Task A_poison_run_in_the_journal_fails_alone_and_the_restarted_coordinator_serves_everything_else()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 1);
        // Journaled by hand, as a coordinator without the admission check would have done.
        var poisonId = Guid.NewGuid();
        var writer = cluster.Coordinator.ActorOf(Props.Create(() => new JournalWriter(CheckpointStore.CoordinatorRunsId)));
        await writer.Ask<Done>(new RunAdmitted(poisonId, Poison, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), TimeSpan.FromSeconds(10));
        await writer.GracefulStop(TimeSpan.FromSeconds(10));

        await cluster.RestartRunManagerAsync();
        var poison = await cluster.WaitForEndAsync(poisonId, TimeSpan.FromSeconds(30));
        Assert.Equal("failed", poison.State);
        Assert.StartsWith("cannot resume: layers[0].size: 2 inputs × 1,000,000,000 neurons", poison.Error);

        var good = await cluster.SubmitAsync(Circles(3), minWorkers: 1);
        Assert.Equal("completed", (await cluster.WaitForEndAsync(good, TimeSpan.FromMinutes(2))).State);

        await cluster.RestartRunManagerAsync(); // its end was journaled: it is not started again
        var again = (await cluster.Runs.Ask<CurrentRun>(new GetRun(poisonId), TimeSpan.FromSeconds(10))).Run!;
        Assert.Equal(("failed", poison.Error), (again.State, again.Error));
    }

    [Fact]
    public async Task A_run_that_waits_for_more_workers_than_the_cluster_has_says_so_in_its_events()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 0);
        var id = await cluster.SubmitAsync(Circles(1), minWorkers: 3);
        var run = (await cluster.Runs.Ask<CurrentRun>(new GetRun(id), TimeSpan.FromSeconds(10))).Run!;
        Assert.Equal("waiting", run.State);
        Assert.Contains("waits for 3 workers, 0 in the cluster now: start more, or submit it with a lower minWorkers", run.Events);
    }

    private sealed record Done;

    /// <summary>Appends events to a journal, as the actor that owns it would.</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        public JournalWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            JournalPluginId = RunStorage.InMemory.JournalPluginId;
            SnapshotPluginId = RunStorage.InMemory.SnapshotPluginId;
            RecoverAny(_ => { });
            Command<RunAdmitted>(e => Persist(e, _ => Sender.Tell(new Done())));
        }

        public override string PersistenceId { get; }
    }
}

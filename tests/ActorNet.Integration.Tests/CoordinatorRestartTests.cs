using System.Text.Json.Nodes;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Tests;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Integration.Tests;

/// <summary>The coordinator is killed with SIGKILL mid-run and started again on the same
/// database: the run resumes from its last checkpoint with the workers that were left running,
/// and ends with the very weights of the same run never interrupted.</summary>
public sealed class CoordinatorRestartTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private static string SpecJson() => Cluster.Spec("circles.json", s =>
    {
        s["name"] = "restart";
        s["data"] = new JsonObject { ["builtin"] = "circles", ["samples"] = 2000, ["testFraction"] = 0.25 };
        s["batchSize"] = 16;
        s["epochs"] = 8;   // 94 steps per epoch, 752 in all: the kill comes well before the end
        s["checkpoint"] = new JsonObject { ["everySteps"] = 25, ["keep"] = 2 };
    });

    [Fact]
    public async Task A_coordinator_given_a_file_that_is_not_a_database_refuses_to_start_and_leaves_it_alone()
    {
        using var folder = new TempDirectory();
        var file = folder.File("notes.db");
        await File.WriteAllTextAsync(file, "these are my notes, not a database\n");
        using var coordinator = Cluster.StartLoneCoordinator(folder.PathName, file);
        var (exitCode, errors) = await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Equal([$"coordinator: cannot use the database {file}: SQLite Error 26: 'file is not a database'."], errors);
        Assert.Equal("these are my notes, not a database\n", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task A_coordinator_that_cannot_create_its_lock_file_says_which_and_stops()
    {
        using var folder = new TempDirectory();
        var file = folder.File("runs.db");
        Directory.CreateDirectory(file + ".coordinator.lock"); // a folder where the lock file goes
        using var coordinator = Cluster.StartLoneCoordinator(folder.PathName, file);
        var (exitCode, errors) = await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Equal([$"coordinator: cannot use the database {file}: cannot create its lock file {file}.coordinator.lock (Access to the path '{file}.coordinator.lock' is denied.)"], errors);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Local_resume_refuses_a_run_that_a_coordinator_is_running_and_the_run_goes_on(string provider)
    {
        using var db = provider == "sqlite" ? null : TestDatabase.Create(provider);
        await using var cluster = await Cluster.StartAsync(workers: 1, db?.Argument);
        await cluster.WaitForWorkersKnownAsync(1);
        var id = await cluster.StartRunAsync(SpecJson(), minWorkers: 1);
        var before = await cluster.WaitForRunAsync(id, s => s.Step >= 30, RunTimeout, "30 steps (a checkpoint)");
        using var folder = new TempDirectory();
        using var local = NodeProcess.StartConsole("local", folder.PathName, "local", "--resume", id.ToString(), "--db", cluster.Database);
        var (exitCode, errors) = await local.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 2, $"local --resume exited with {exitCode}\n{local.Describe()}");
        Assert.Equal([$"--resume: run {id} was submitted to a coordinator, and a coordinator is using {Database.Parse(cluster.Database).Display}: " +
                      $"it goes on with the run itself (follow it with GET /api/runs/{id}); stop that coordinator to continue the run here"], errors);
        await cluster.WaitForRunAsync(id, s => s.Step > before.Step + 30, RunTimeout, "30 more steps");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task While_local_resume_continues_a_coordinator_s_run_no_coordinator_starts_on_the_database_and_one_takes_the_run_back_after(string provider)
    {
        using var db = provider == "sqlite" ? null : TestDatabase.Create(provider);
        await using var cluster = await Cluster.StartAsync(workers: 1, db?.Argument);
        using var folder = new TempDirectory();
        var resumed = await ResumeLocallyAfterItsCoordinatorIsKilledAsync(cluster, folder);
        using var local = resumed.Local;
        var id = resumed.Id;
        using var coordinator = Cluster.StartLoneCoordinator(folder.PathName, cluster.Database);
        var (exitCode, errors) = await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 2, $"a coordinator started during local --resume exited with {exitCode}\n{coordinator.Describe()}\n{local.Describe()}");
        var message = Assert.Single(errors);
        Assert.StartsWith($"coordinator: the database {Database.Parse(cluster.Database).Display} is in use by another coordinator, " +
                          "or by `actornet local --resume` of a coordinator's run (it holds ", message, StringComparison.Ordinal);
        Assert.False(local.HasExited, $"local --resume ended early\n{local.Describe()}");

        // local --resume is killed: the lock goes with it, and the run's coordinator continues the run.
        local.KillHard();
        var stopped = await ReadStepAsync(cluster, id);
        await cluster.KillAndRestartCoordinatorAsync();
        await cluster.WaitForRunAsync(id, s => s.State == "running" && s.Step > stopped + 25, RunTimeout, "the run going on under the coordinator");
    }

    [SkippableFact]
    public async Task Local_resume_of_a_coordinator_s_run_stops_when_a_coordinator_took_its_PostgreSQL_lock_after_its_connection_was_lost()
    {
        using var db = TestDatabase.Postgres();
        await using var cluster = await Cluster.StartAsync(workers: 1, db.Argument);
        using var folder = new TempDirectory();
        using var local = (await ResumeLocallyAfterItsCoordinatorIsKilledAsync(cluster, folder)).Local;

        Assert.Equal(1, db.EndAdvisoryLockSessions());
        using var coordinatorLock = CoordinatorLock.TryAcquire(db.Database); // as a coordinator would, before local looks again (every 5 s)
        Assert.NotNull(coordinatorLock);
        var (exitCode, errors) = await local.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 1, $"local --resume exited with {exitCode}\n{local.Describe()}");
        Assert.Equal($"local: lost the coordinators' lock on {db.Database.Display} (its connection was lost) and another process holds it now; " +
                     "stopping, so that two coordinators do not write the same runs", errors[^1]);
    }

    /// <summary>Submits a run of 18,800 steps (long enough for local --resume to be still running
    /// whatever the test does next) to the cluster's coordinator, kills that coordinator after
    /// 30 steps (a checkpoint), and starts <c>actornet local --resume</c> of the run; returns once
    /// it says it resumed. The caller disposes the process.</summary>
    private static async Task<(Guid Id, NodeProcess Local)> ResumeLocallyAfterItsCoordinatorIsKilledAsync(Cluster cluster, TempDirectory folder)
    {
        await cluster.WaitForWorkersKnownAsync(1);
        var longer = JsonNode.Parse(SpecJson())!.AsObject();
        longer["epochs"] = 200;
        var id = await cluster.StartRunAsync(longer.ToJsonString(), minWorkers: 1);
        await cluster.WaitForRunAsync(id, s => s.Step >= 30, RunTimeout, "30 steps (a checkpoint)");
        cluster.Coordinator.KillHard();
        var local = NodeProcess.StartConsole("local", folder.PathName, "local", "--resume", id.ToString(), "--db", cluster.Database);
        try
        {
            await WaitForOutputAsync<bool>(local, lines => lines.Any(l => l.StartsWith($"Run {id} (resumed)", StringComparison.Ordinal)) ? true : null, $"\"Run {id} (resumed)\"");
            return (id, local);
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }

    /// <summary>The run's step as its coordinator would resume it: read from the database, without a coordinator.</summary>
    private static Task<long> ReadStepAsync(Cluster cluster, Guid id) =>
        Task.Run(() => new CheckpointStore(Database.Parse(cluster.Database)).Run(id.ToString()).Checkpoints.Max(c => c.Step));

    /// <summary>Polls what <paramref name="process"/> printed on stdout until <paramref name="find"/>
    /// finds something in it (with the start deadline); fails if the process ends first.</summary>
    private static async Task<T> WaitForOutputAsync<T>(NodeProcess process, Func<string[], T?> find, string what) where T : struct
    {
        var deadline = DateTime.UtcNow + Cluster.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (find(process.OutputLines()) is { } found) return found;
            Assert.False(process.HasExited, $"{process.Name} exited before printing {what}\n{process.Describe()}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"{process.Name} printed no {what} within {Cluster.StartTimeout}\n{process.Describe()}");
    }

    [Fact]
    public async Task Submit_watch_follows_a_run_across_its_coordinator_s_restart_to_the_end()
    {
        await using var cluster = await Cluster.StartAsync(workers: 2);
        await cluster.WaitForWorkersKnownAsync(2);
        using var folder = new TempDirectory();
        var spec = folder.File("restart.json");
        await File.WriteAllTextAsync(spec, SpecJson());
        using var watch = NodeProcess.StartConsole("submit", folder.PathName, "submit", spec, "--coordinator", $"http://127.0.0.1:{cluster.HttpPort}", "--min-workers", "2", "--watch");
        var id = await WaitForRunIdAsync(watch);
        await cluster.WaitForRunAsync(id, s => s.Step >= 60, RunTimeout, "60 steps (two checkpoints)");

        await cluster.KillAndRestartCoordinatorAsync();

        var (exitCode, errors) = await watch.WaitForExitAsync(RunTimeout);
        var output = watch.OutputLines();
        Assert.True(exitCode == 0, $"submit --watch exited with {exitCode}\n{watch.Describe(40)}\n{cluster.Diagnostics()}");
        Assert.StartsWith($"Run {id} completed: ", output[^1], StringComparison.Ordinal);
        Assert.Contains(errors, l => l.StartsWith($"lost the coordinator at http://127.0.0.1:{cluster.HttpPort}/ (", StringComparison.Ordinal)
                                     && l.EndsWith($"); still watching run {id}, which goes on when it is back (Ctrl+C stops watching)", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.StartsWith($"the coordinator is back: run {id} is ", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("epoch 8/8 ", StringComparison.Ordinal));
    }

    /// <summary>The run id, the first line submit prints.</summary>
    private static Task<Guid> WaitForRunIdAsync(NodeProcess submit) =>
        WaitForOutputAsync(submit, lines => lines is [var first, ..] && Guid.TryParse(first, out var id) ? id : (Guid?)null, "a run id");

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_second_coordinator_on_the_same_database_refuses_to_start_and_the_first_goes_on(string provider)
    {
        using var db = provider == "sqlite" ? null : TestDatabase.Create(provider);
        await using var cluster = await Cluster.StartAsync(workers: 0, db?.Argument);
        var id = await cluster.StartRunAsync(SpecJson(), minWorkers: 1); // waits: there is no worker
        using var folder = new TempDirectory();
        using var second = Cluster.StartLoneCoordinator(folder.PathName, cluster.Database);
        var (exitCode, errors) = await second.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 2, $"the second coordinator exited with {exitCode}\n{second.Describe()}");
        var message = Assert.Single(errors);
        Assert.StartsWith($"coordinator: the database {Database.Parse(cluster.Database).Display} is in use by another coordinator, " +
                          "or by `actornet local --resume` of a coordinator's run (it holds ", message, StringComparison.Ordinal);
        Assert.EndsWith("); stop that one, or give this one another --db", message, StringComparison.Ordinal);
        var run = await cluster.GetRunAsync(id);
        Assert.True(run.State == "waiting", $"the first coordinator's run is {run}\n{cluster.Diagnostics()}");
    }

    [SkippableFact]
    public async Task A_coordinator_whose_PostgreSQL_lock_another_process_took_after_its_connection_was_lost_stops()
    {
        using var db = TestDatabase.Postgres();
        await using var cluster = await Cluster.StartAsync(workers: 0, db.Argument);
        Assert.Equal(1, db.EndAdvisoryLockSessions());
        using var other = CoordinatorLock.TryAcquire(db.Database); // before the coordinator looks again (every 5 s)
        Assert.NotNull(other);
        var (exitCode, errors) = await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 1, $"the coordinator exited with {exitCode}\n{cluster.Coordinator.Describe()}");
        Assert.Equal($"coordinator: lost the coordinators' lock on {db.Database.Display} (its connection was lost) and another process holds it now; " +
                     "stopping, so that two coordinators do not write the same runs", errors[^1]);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_run_resumes_after_its_coordinator_is_killed_and_ends_with_the_weights_of_an_uninterrupted_run(string provider)
    {
        using var db = provider == "sqlite" ? null : TestDatabase.Create(provider);
        await using var cluster = await Cluster.StartAsync(workers: 2, db?.Argument);
        await cluster.WaitForWorkersKnownAsync(2);
        var spec = SpecJson();
        var id = await cluster.StartRunAsync(spec, minWorkers: 2);
        await cluster.WaitForRunAsync(id, s => s.Step >= 60, RunTimeout, "60 steps (two checkpoints)");
        // Killed once a checkpoint is stored (the console reads the database while the coordinator writes it).
        var store = new CheckpointStore(Database.Parse(cluster.Database));
        var deadline = DateTime.UtcNow + RunTimeout;
        while (store.Runs().SingleOrDefault(r => r.RunId == id) is not { Checkpoints.Count: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, "no checkpoint stored\n" + cluster.Diagnostics());
            await Task.Delay(100);
        }

        await cluster.KillAndRestartCoordinatorAsync();
        var end = await cluster.WaitForEndAsync(id, RunTimeout);

        Assert.True(end.State == "completed", $"run ended {end}\n{cluster.Diagnostics()}");
        Assert.True(cluster.Coordinator.LogContains("resumes from its checkpoint after step"), "the restarted coordinator did not resume the run\n" + cluster.Diagnostics());
        var final = store.Load(store.Run(id.ToString()));
        Assert.Equal(752, final.Info.Step);

        // The same run, never interrupted, on as many workers: in this process.
        var reference = RunSpecReader.Parse(spec);
        await using var node = await NodeHost.StartAsync(NodeRole.InProcess("reference", journals: false),
            new Dictionary<string, string?> { ["ActorNet:LogFile"] = "", ["ActorNet:LogLevel"] = "Warning" });
        var expected = await LocalTraining.Start(node.System, reference, workers: 2).WaitAsync();
        for (var l = 0; l < expected.Parameters.Length; l++)
            Assert.Equal(expected.Parameters[l], final.Parameters[l]);  // bit for bit
    }
}

using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ActorNet.Integration.Tests;

/// <summary>
/// End to end: the built coordinator and workers as separate processes on loopback, driven
/// through the HTTP API as a user would. Each test has its own cluster.
/// </summary>
public sealed class DistributedTrainingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Epochs of circles for runs that must outlast a worker joining (~5 s) or being
    /// detected as dead (~15-20 s): measured here at 6-40 epochs/s on 2 loaded cores, 1000 epochs
    /// train for ~25-35 s after the workers are in.</summary>
    private const int LongEpochs = 1000;

    [Fact]
    public async Task Two_workers_train_circles_to_full_accuracy()
    {
        await using var cluster = await Cluster.StartAsync(workers: 2);
        // Both workers known before the run is submitted: minWorkers alone does not make a run
        // wait for a worker that comes later (see the skipped test below), and a 40-epoch run
        // can end before a late worker is admitted.
        await cluster.WaitForWorkersKnownAsync(2);
        var clock = Stopwatch.StartNew();
        var id = await cluster.StartRunAsync(Cluster.Spec("circles.json"), minWorkers: 2);

        var end = await cluster.WaitForEndAsync(id, RunTimeout);
        output.WriteLine($"run {end} after {clock.Elapsed}");

        Assert.True(end.State == "completed", $"run ended {end}\n{cluster.Diagnostics()}");
        Assert.True(end.Epoch == 40, $"epoch {end.Epoch}, expected 40\n{cluster.Diagnostics()}");
        Assert.True(end.Workers == 2, $"workers {end.Workers}, expected 2\n{cluster.Diagnostics()}");
        Assert.True(end.TestAccuracy >= 0.97, $"testAccuracy {end.TestAccuracy}\n{cluster.Diagnostics()}");
    }

    [Fact]
    public async Task A_run_survives_a_worker_killed_with_SIGKILL()
    {
        await using var cluster = await Cluster.StartAsync(workers: 2);
        var clock = Stopwatch.StartNew();
        var id = await cluster.StartRunAsync(Cluster.Spec("circles.json", s => s["epochs"] = LongEpochs), minWorkers: 2);

        var before = await cluster.WaitForRunAsync(id, s => s.State == "running" && s.Step > 0 && s.Workers == 2, RunTimeout, "running with 2 workers");
        var victim = cluster.Workers[1];
        victim.KillHard();
        output.WriteLine($"killed {victim.Name} (pid {victim.Pid}) at {clock.Elapsed}: {before}");
        Assert.True(victim.HasExited, $"{victim.Name} still runs after SIGKILL");

        // The step in progress waits for the dead worker's part until the cluster downs it
        // (unreachable after ~10 s, downed ~5 s later); then the run goes on with one.
        var after = await cluster.WaitForRunAsync(id, s => s.Workers == 1, RunTimeout, "the run to go on with the remaining worker");
        output.WriteLine($"going on with 1 worker at {clock.Elapsed}: {after}");
        Assert.True(after.Step > before.Step, $"no progress past step {before.Step}: {after}");

        var end = await cluster.WaitForEndAsync(id, RunTimeout);
        output.WriteLine($"run {end} after {clock.Elapsed}");

        Assert.True(end.State == "completed", $"run ended {end}\n{cluster.Diagnostics()}");
        Assert.True(end.Epoch == LongEpochs, $"epoch {end.Epoch}, expected {LongEpochs}\n{cluster.Diagnostics()}");
        Assert.True(end.Workers == 1, $"workers {end.Workers}, expected 1 after the kill\n{cluster.Diagnostics()}");
        Assert.True(end.TestAccuracy >= 0.97, $"testAccuracy {end.TestAccuracy}\n{cluster.Diagnostics()}");
    }

    [Fact]
    public async Task A_worker_started_mid_run_joins_it()
    {
        await using var cluster = await Cluster.StartAsync(workers: 1);
        var clock = Stopwatch.StartNew();
        var id = await cluster.StartRunAsync(Cluster.Spec("circles.json", s => s["epochs"] = LongEpochs), minWorkers: 1);

        var before = await cluster.WaitForRunAsync(id, s => s.State == "running" && s.Step > 0, RunTimeout, "the run to be running");
        Assert.True(before.Workers == 1, $"workers {before.Workers} before the second one started\n{cluster.Diagnostics()}");
        var joiner = cluster.StartWorker();
        output.WriteLine($"started {joiner.Name} at {clock.Elapsed}: {before}");

        var joined = await cluster.WaitForRunAsync(id, s => s.Workers == 2, RunTimeout, "the second worker to join the run");
        output.WriteLine($"joined at {clock.Elapsed}: {joined}");

        var end = await cluster.WaitForEndAsync(id, RunTimeout);
        output.WriteLine($"run {end} after {clock.Elapsed}");
        Assert.True(end.State == "completed", $"run ended {end}\n{cluster.Diagnostics()}");
        Assert.True(end.Epoch == LongEpochs, $"epoch {end.Epoch}, expected {LongEpochs}\n{cluster.Diagnostics()}");
        Assert.True(end.TestAccuracy >= 0.97, $"testAccuracy {end.TestAccuracy}\n{cluster.Diagnostics()}");
    }

    [Fact]
    public async Task A_bad_spec_or_request_is_rejected_with_errors_naming_their_place()
    {
        await using var cluster = await Cluster.StartAsync(workers: 0);
        var spec = Cluster.Spec("circles.json", s => s["layers"]![0]!["activation"] = "relu6");

        var (status, body) = await cluster.SubmitAsync(spec, minWorkers: 1);

        Assert.True(status == HttpStatusCode.BadRequest, $"POST answered {(int)status}: {body?.ToJsonString()}\n{cluster.Diagnostics()}");
        var errors = body?["errors"]?.AsArray().Select(e => e!.GetValue<string>()).ToArray() ?? [];
        output.WriteLine(string.Join("\n", errors));
        Assert.Contains(errors, e => e.StartsWith("layers[0].activation", StringComparison.Ordinal) && e.Contains("relu6", StringComparison.Ordinal));

        var (badWorkers, workersBody) = await cluster.SubmitAsync(Cluster.Spec("circles.json"), minWorkers: 0);
        Assert.True(badWorkers == HttpStatusCode.BadRequest, $"minWorkers=0 answered {(int)badWorkers}: {workersBody?.ToJsonString()}");
        Assert.Contains("minWorkers", workersBody?["errors"]?.ToJsonString() ?? "", StringComparison.Ordinal);

        var runs = await cluster.SubmitAsync("{ not json", minWorkers: 1);
        Assert.True(runs.Status == HttpStatusCode.BadRequest, $"malformed JSON answered {(int)runs.Status}: {runs.Body?.ToJsonString()}");

        var (notANumber, notANumberBody) = await cluster.RequestAsync(HttpMethod.Post, "/api/runs?minWorkers=two", Cluster.Spec("circles.json"));
        Assert.Equal(HttpStatusCode.BadRequest, notANumber);
        Assert.Equal(["minWorkers: expected a whole number, found \"two\""], notANumberBody?["errors"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []);

        var (form, formBody) = await cluster.RequestAsync(HttpMethod.Post, "/api/runs", Cluster.Spec("circles.json"), "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form);
        Assert.Equal(["Content-Type: a run spec is JSON (application/json), not application/x-www-form-urlencoded; charset=utf-8"],
            formBody?["errors"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []);

        var (tooBig, tooBigBody) = await cluster.RequestAsync(HttpMethod.Post, "/api/runs", new string(' ', 31_000_000), expectContinue: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig);
        Assert.Equal(["the request body is over the 30,000,000 bytes a request may have"], tooBigBody?["errors"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []);

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/runs/run-1"), (HttpMethod.Post, "/api/runs/run-1/stop") })
        {
            var (noRun, noRunBody) = await cluster.RequestAsync(method, path);
            Assert.True(noRun == HttpStatusCode.NotFound, $"{method} {path} answered {(int)noRun}: {noRunBody?.ToJsonString()}");
            Assert.StartsWith("no run \"run-1\": a run id is a GUID", noRunBody?["errors"]?[0]?.GetValue<string>() ?? "", StringComparison.Ordinal);
        }
    }

    /// <summary>minWorkers holds even when the workers come one by one (it once did not: the
    /// first worker to arrive started the run).</summary>
    [Fact]
    public async Task A_run_waits_for_minWorkers_when_workers_come_one_by_one()
    {
        await using var cluster = await Cluster.StartAsync(workers: 1);
        var id = await cluster.StartRunAsync(Cluster.Spec("circles.json"), minWorkers: 2);

        // The one worker's replica is there: from now on nothing but a second worker may start the run.
        var clock = Stopwatch.StartNew();
        while (!cluster.Coordinator.LogContains("joins from the next step"))
        {
            Assert.True(clock.Elapsed < Cluster.StartTimeout, $"the first worker's replica never joined\n{cluster.Diagnostics()}");
            await Task.Delay(200);
        }
        // An absence can only be watched for a while: a run that wrongly starts does so at once.
        for (var watch = Stopwatch.StartNew(); watch.Elapsed < TimeSpan.FromSeconds(3); await Task.Delay(250))
        {
            var s = await cluster.GetRunAsync(id);
            Assert.True(s.State == "waiting" && s.Step == 0, $"minWorkers=2 but the run went ahead with one worker: {s}\n{cluster.Diagnostics()}");
        }

        cluster.StartWorker();
        var end = await cluster.WaitForEndAsync(id, RunTimeout);
        output.WriteLine($"run {end}");
        Assert.True(end.State == "completed" && end.Workers == 2, $"run ended {end}\n{cluster.Diagnostics()}");
    }
}

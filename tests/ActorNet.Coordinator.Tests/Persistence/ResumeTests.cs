using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>Runs journaled and checkpointed to a real database (SQLite and PostgreSQL): they
/// resume exactly, keep what retention says, and fail without losing their last good state.</summary>
public sealed class ResumeTests
{
    private static RunSpec Spec(int everySteps = 4, int keep = 2, double learningRate = 0.03, int epochs = 3, int samples = 400) => RunSpecReader.Parse($$"""
        {
          "name": "resume", "seed": 11,
          "data": { "builtin": "circles", "samples": {{samples}}, "testFraction": 0.25 },
          "layers": [ { "size": 12, "activation": "tanh" }, { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy",
          "optimizer": { "kind": "adam", "learningRate": {{learningRate}} },
          "batchSize": 16, "epochs": {{epochs}},
          "checkpoint": { "everySteps": {{everySteps}}, "keep": {{keep}} }
        }
        """);

    /// <summary>A process as <c>actornet local</c> runs it, journaling to <paramref name="db"/>.</summary>
    private static Task<NodeHost> Node(Database db) => NodeHost.StartAsync(NodeRole.InProcess("test", journals: true),
        new Dictionary<string, string?> { ["ActorNet:Db"] = db.ConnectionString, ["ActorNet:LogFile"] = "", ["ActorNet:LogLevel"] = "Warning" });

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_run_stopped_mid_way_resumes_from_its_checkpoint_and_ends_with_the_same_weights(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var spec = Spec(everySteps: 50, epochs: 4, samples: 20_000);  // 3,752 steps: hundreds go by between a step and the stop taking effect
        var reference = await Uninterrupted(db.Database, spec);

        // Stopped (as by Ctrl+C) some 30 steps into 3,752: it ends cancelled, with a checkpoint of that state.
        var id = Guid.NewGuid();
        RunCompleted stopped;
        await using (var first = await Node(db.Database))
        {
            var run = LocalTraining.Start(first.System, spec, workers: 2, storage: RunStorage.Sql, runId: id);
            stopped = await run.WaitAsync(e => { if (e is StepCompleted { Step: 29 }) run.Stop(); });
        }
        Assert.Equal(RunOutcome.Cancelled, stopped.Outcome);
        // Before the end, and after step 29. Where exactly depends on how far the run got before
        // this test read its step 29: on a busy machine the reader lagged 1,530 steps behind.
        Assert.InRange(stopped.Steps, 30, 3_751);
        var stored = new CheckpointStore(db.Database).Run(id.ToString());
        Assert.Equal(("cancelled", stopped.Steps), (stored.State, stored.Checkpoints[^1].Step));

        var (resumed, steps) = await Resume(db.Database, spec, id);
        Assert.Equal(stopped.Steps, steps[0].Step);  // the first step it runs is the one after its checkpoint
        AssertSameRun(reference, resumed);
        Assert.Equal("completed", new CheckpointStore(db.Database).Run(id.ToString()).State);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_run_whose_process_dies_resumes_from_its_last_stored_checkpoint_and_ends_with_the_same_weights(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var spec = Spec(everySteps: 50, epochs: 2, samples: 20_000);  // 1,876 steps: hundreds go by between a step and the system stopping
        var reference = await Uninterrupted(db.Database, spec);

        // The actor system shut down under the run after step 30: no end is journaled, and the
        // last checkpoints may or may not have been stored by then.
        var id = Guid.NewGuid();
        await using (var first = await Node(db.Database))
        {
            var run = LocalTraining.Start(first.System, spec, workers: 2, storage: RunStorage.Sql, runId: id);
            await foreach (var e in run.Events.ReadAllAsync())
                if (e is StepCompleted { Step: 29 }) break;
            await first.StopAsync();
        }
        var stored = new CheckpointStore(db.Database).Run(id.ToString());
        Assert.Equal("running", stored.State);
        var last = stored.Checkpoints.Count > 0 ? stored.Checkpoints[^1].Step : 0;

        var (resumed, steps) = await Resume(db.Database, spec, id);
        Assert.Equal(last, steps[0].Step);
        AssertSameRun(reference, resumed);
    }

    private static async Task<RunCompleted> Uninterrupted(Database db, RunSpec spec)
    {
        await using var node = await Node(db);
        return await LocalTraining.Start(node.System, spec, workers: 2).WaitAsync();
    }

    private static async Task<(RunCompleted Done, List<StepCompleted> Steps)> Resume(Database db, RunSpec spec, Guid id)
    {
        await using var node = await Node(db);
        var steps = new List<StepCompleted>();
        var done = await LocalTraining.Start(node.System, spec, workers: 2, storage: RunStorage.Sql, runId: id)
            .WaitAsync(e => { if (e is StepCompleted s) steps.Add(s); });
        return (done, steps);
    }

    private static void AssertSameRun(RunCompleted expected, RunCompleted actual)
    {
        Assert.Equal((RunOutcome.Completed, expected.Steps), (actual.Outcome, actual.Steps));
        for (var l = 0; l < expected.Parameters.Length; l++)
            Assert.Equal(expected.Parameters[l], actual.Parameters[l]);  // bit for bit
        Assert.Equal(expected.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy)),
            actual.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Retention_keeps_the_last_checkpoints_and_the_best_and_the_last_holds_the_final_weights(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var spec = Spec(everySteps: 5, keep: 2);
        var id = Guid.NewGuid();
        RunCompleted done;
        await using (var node = await Node(db.Database))
            done = await LocalTraining.Start(node.System, spec, storage: RunStorage.Sql, runId: id).WaitAsync();

        var store = new CheckpointStore(db.Database);
        var run = store.Run(id.ToString("N")[..8]);
        var best = done.Epochs.MaxBy(e => e.TestAccuracy)!;
        var bestStep = (long)best.Epoch * 19;  // 300 training rows in batches of 16: 19 steps per epoch
        var expected = new[] { bestStep, 55L, 57L }.Distinct().Order().ToArray();
        Assert.Equal(expected, run.Checkpoints.Select(c => c.Step).ToArray());
        Assert.Equal(best.TestAccuracy, run.Checkpoints.Single(c => c.Step == bestStep).TestAccuracy);
        Assert.Equal(3, run.Epochs.Count);

        var last = store.Load(run);
        Assert.Equal(57, last.Info.Step);
        for (var l = 0; l < done.Parameters.Length; l++) Assert.Equal(done.Parameters[l], last.Parameters[l]);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_run_whose_weights_blow_up_fails_naming_step_and_layer_and_keeps_its_last_good_checkpoint(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var spec = Spec(everySteps: 1) with
        {
            // Weights grow by about 1e15 per step: float32 overflows after a few steps, not the first.
            Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 1e15),
            Layers = [new LayerSpec { Size = 12, Activation = Activation.Relu }, new LayerSpec { Size = 2, Activation = Activation.Softmax }],
        };
        var id = Guid.NewGuid();
        await using var node = await Node(db.Database);
        var failure = await Assert.ThrowsAsync<RunFailedException>(() => LocalTraining.Start(node.System, spec, storage: RunStorage.Sql, runId: id).WaitAsync());

        Assert.True(failure.Failure.Step >= 1, $"failed at step {failure.Failure.Step}: {failure.Failure.Reason}");
        // Either the weights overflowed ("layer 1: weight [0, 3] is NaN after step 2") or the loss did
        // first ("the loss is NaN at step 2 (layer 1, the output layer, part 0)").
        Assert.Matches(@"layer \d", failure.Failure.Reason);
        Assert.Matches($@"step {failure.Failure.Step}\b", failure.Failure.Reason);
        var run = new CheckpointStore(db.Database).Run(id.ToString());
        Assert.Equal("failed", run.State);
        Assert.Equal(failure.Failure.Step, run.Ended!.Step);
        var last = new CheckpointStore(db.Database).Load(run);
        Assert.Equal(failure.Failure.Step, last.Info.Step);  // checkpointed after every step: the last good one is the step before
        Assert.All(last.Parameters.SelectMany(p => p), v => Assert.True(double.IsFinite(v)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_spec_that_does_not_fit_the_stored_run_is_refused_and_nothing_is_written(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var id = Guid.NewGuid();
        await using (var node = await Node(db.Database))
        {
            // 2,814 steps: the test reads the run's events later than they happen (hundreds of steps, on a fast machine), but never that late.
            var run = LocalTraining.Start(node.System, Spec(samples: 20_000), storage: RunStorage.Sql, runId: id);
            var stopped = await run.WaitAsync(e => { if (e is StepCompleted { Step: 9 }) run.Stop(); });
            Assert.Equal(RunOutcome.Cancelled, stopped.Outcome);
        }
        var before = new CheckpointStore(db.Database).Run(id.ToString());

        var wider = Spec(samples: 20_000) with { Layers = [new LayerSpec { Size = 20, Activation = Activation.Tanh }, new LayerSpec { Size = 2, Activation = Activation.Softmax }] };
        await using (var node = await Node(db.Database))
        {
            var failure = await Assert.ThrowsAsync<RunFailedException>(() => LocalTraining.Start(node.System, wider, storage: RunStorage.Sql, runId: id).WaitAsync());
            Assert.Equal($"cannot resume: layer 0 of the checkpoint after step {before.Checkpoints[^1].Step} has 36 parameters, the spec's layer 0 (2→20) has 60",
                failure.Failure.Reason);
        }
        var after = new CheckpointStore(db.Database).Run(id.ToString());
        Assert.Equal(before.Checkpoints, after.Checkpoints);
        Assert.Equal("cancelled", after.State);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_run_with_no_checkpoint_yet_refuses_a_spec_other_than_its_own(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();
        var id = Guid.NewGuid();
        // The first checkpoint would come at the end of epoch 1, after 18,750 steps: seconds after
        // step 3 even in one process (with 188 steps per epoch, a fast machine got there before
        // the actor system had stopped).
        var spec = Spec(everySteps: 0, samples: 400_000);
        await using (var node = await Node(db.Database))
        {
            var run = LocalTraining.Start(node.System, spec, storage: RunStorage.Sql, runId: id);
            await foreach (var e in run.Events.ReadAllAsync())
                if (e is StepCompleted { Step: 3 }) break;
            await node.StopAsync();
        }
        Assert.Empty(new CheckpointStore(db.Database).Run(id.ToString()).Checkpoints);

        await using var again = await Node(db.Database);
        var failure = await Assert.ThrowsAsync<RunFailedException>(() =>
            LocalTraining.Start(again.System, spec with { Seed = 12 }, storage: RunStorage.Sql, runId: id).WaitAsync());
        Assert.Equal("cannot resume: the run's journal has seed 11, the spec 12", failure.Failure.Reason);
    }

    [Fact]
    public async Task With_a_checkpoint_every_second_one_is_taken_within_an_epoch()
    {
        using var db = TestDatabase.Sqlite();
        db.Database.PrepareForWriting();
        // Batches of one sample: 300,000 steps per epoch, which take several seconds (a run of this
        // tiny network does 300,000 to 500,000 samples/s in batches of 16, an epoch in under a second).
        var spec = Spec(everySteps: 0, samples: 400_000, epochs: 5) with { BatchSize = 1, Checkpoint = new CheckpointSpec { EverySeconds = 1, Keep = 2 } };
        await using var node = await Node(db.Database);
        var run = LocalTraining.Start(node.System, spec, storage: RunStorage.Sql);
        var stepsPerEpoch = 0;
        CheckpointSaved? within = null;
        var seen = new List<string>();
        await foreach (var e in run.Events.ReadAllAsync())
        {
            if (e is StepCompleted s) stepsPerEpoch = s.StepsPerEpoch;
            else seen.Add(e.ToString()!);
            if (e is RunFailed or RunCompleted) Assert.Fail($"the run ended before a checkpoint within an epoch: {string.Join("; ", seen)}");
            if (e is CheckpointSaved c && c.Step % stepsPerEpoch != 0)
            {
                within = c;
                break;
            }
        }
        run.Stop();
        await run.WaitAsync();

        Assert.NotNull(within);
        Assert.Contains(new CheckpointStore(db.Database).Run(run.RunId.ToString()).Checkpoints, c => c.Step == within.Step);
    }
}

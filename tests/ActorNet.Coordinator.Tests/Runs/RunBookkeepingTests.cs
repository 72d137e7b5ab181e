using ActorNet.Coordinator.Runs;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Runs;

/// <summary>The plain classes under the run actor, without an actor system: replica handles are strings.</summary>
public sealed class SyncStepperTests
{
    [Fact]
    public void A_step_is_cut_into_contiguous_slices_and_commits_once_every_part_and_shard_is_in()
    {
        var stepper = new SyncStepper<string>(layers: 2);
        var parts = stepper.Start(4, ["a", "b", "c"], rows: 10);

        Assert.Equal([("a", 0, 0, 4), ("b", 1, 4, 3), ("c", 2, 7, 3)], parts.Select(p => (p.Replica, p.Part, p.Start, p.Count)));
        Assert.All(parts, p => Assert.Equal((4L, 0, 3), (p.Step, p.Attempt, p.Parts)));
        Assert.True(stepper.PartDone(4, 0, "a", 4, 1.0, 2));
        Assert.True(stepper.PartDone(4, 1, "b", 3, 2.0, 1));
        Assert.False(stepper.PartDone(4, 1, "b", 3, 2.0, 1)); // a duplicate is dropped
        Assert.False(stepper.PartDone(3, 2, "c", 3, 2.0, 1)); // so is another step's
        Assert.True(stepper.PartDone(4, 2, "c", 3, 0.5, 3));
        Assert.True(stepper.Applied(4));
        Assert.False(stepper.Complete);                        // one shard still to apply
        Assert.False(stepper.Applied(5));
        Assert.True(stepper.Applied(4));
        Assert.True(stepper.Complete);
        Assert.Equal(new StepTotals(10, 3.5, 6), stepper.Commit());
        Assert.False(stepper.InProgress);
    }

    [Fact]
    public void A_lost_replicas_part_goes_to_a_free_replica_as_a_new_round_with_the_same_slice()
    {
        var stepper = new SyncStepper<string>(layers: 1);
        stepper.Start(0, ["a", "b"], rows: 8);
        stepper.Lose("a");
        Assert.True(stepper.HasLostParts);
        Assert.Empty(stepper.AssignLost(["b"]));               // b is still busy with its own part
        Assert.True(stepper.PartDone(0, 1, "b", 4, 1, 1));
        var again = Assert.Single(stepper.AssignLost(["b"]));
        Assert.Equal(("b", 0, 1, 0, 4), (again.Replica, again.Part, again.Attempt, again.Start, again.Count));
        Assert.False(stepper.HasLostParts);
    }

    [Fact]
    public void With_no_replica_a_step_waits_and_keeps_its_round_until_another_step_starts()
    {
        var stepper = new SyncStepper<string>(layers: 1);
        Assert.Empty(stepper.Start(7, [], rows: 4));
        Assert.False(stepper.InProgress);
        Assert.Equal(7, stepper.Step);
        stepper.Start(7, ["a"], rows: 4);
        stepper.Lose("a");
        stepper.AssignLost(["b"]);
        Assert.Equal(1, stepper.Attempt);
        stepper.Start(7, ["b"], rows: 4);
        Assert.Equal(1, stepper.Attempt);                      // the same step: old rounds stay recognisable
        stepper.Start(8, ["b"], rows: 4);
        Assert.Equal(0, stepper.Attempt);
    }
}

public sealed class ReplicaRosterTests
{
    [Fact]
    public void Joining_replicas_are_admitted_in_worker_name_order_whoever_answered_first()
    {
        var roster = new ReplicaRoster<string>();
        roster.Joined("worker-b", "rb");
        roster.Joined("worker-a", "ra");
        Assert.Equal(["ra", "rb"], roster.AdmitJoining().Select(j => j.Replica));
        Assert.Equal(["ra", "rb"], roster.Replicas);
        Assert.True(roster.Lose("ra"));
        Assert.False(roster.Lose("ra"));
    }

    [Fact]
    public void The_first_step_waits_for_min_workers_or_with_fixed_workers_for_all_that_did_not_refuse()
    {
        var roster = new ReplicaRoster<string>();
        roster.Asked("w1");
        roster.Asked("w2");
        roster.Joined("w1", "r1");
        Assert.False(roster.EnoughToStart(minWorkers: 2, fixedWorkers: false));
        Assert.False(roster.EnoughToStart(minWorkers: 2, fixedWorkers: true));
        roster.Refused("w2", "its data differ");
        Assert.False(roster.EnoughToStart(minWorkers: 2, fixedWorkers: false)); // a cluster waits for more
        Assert.True(roster.EnoughToStart(minWorkers: 2, fixedWorkers: true));   // local mode starts with who is left
        Assert.False(roster.AllRefused);
        Assert.Equal(["w2: its data differ"], roster.Refusals);
    }
}

public sealed class AsyncDispatcherTests
{
    private static readonly RunSchedule Schedule = new(trainCount: 8, batchSize: 2, epochs: 2, seed: 1); // 4 batches an epoch

    [Fact]
    public void Replicas_run_at_most_max_staleness_batches_ahead_of_the_shards()
    {
        var d = new AsyncDispatcher<string>(Schedule, layers: 1, maxStaleness: 0);
        d.Join("a");
        d.Join("b");
        Assert.Equal([("a", 0L), ("b", 1L)], d.Dispatch(["a", "b"]));
        Assert.True(d.BatchDone("a", 0, out _));
        d.LayerApplied(0);
        Assert.Empty(d.Dispatch(["a", "b"]));                  // a would be a batch ahead of b
        Assert.True(d.BatchDone("b", 1, out _));
        Assert.Empty(d.Dispatch(["a", "b"]));                  // b's gradient is not applied yet
        d.LayerApplied(0);
        Assert.Equal([("a", 2L), ("b", 3L)], d.Dispatch(["a", "b"]));
    }

    [Fact]
    public void A_lost_replicas_batch_is_handed_out_again_and_epochs_end_in_order()
    {
        var d = new AsyncDispatcher<string>(Schedule, layers: 1, maxStaleness: 8);
        d.Join("a");
        d.Join("b");
        d.Dispatch(["a", "b"]);                                 // a: 0, b: 1
        d.Lose("b");
        Assert.True(d.BatchDone("a", 0, out var ended));
        Assert.Empty(ended);
        Assert.Equal([("a", 1L)], d.Dispatch(["a"]));           // b's batch first
        Assert.False(d.BatchDone("a", 0, out _));               // not the batch it has: dropped
        Assert.True(d.BatchDone("a", 1, out ended));
        foreach (var batch in new long[] { 2, 3 })
        {
            Assert.Equal([("a", batch)], d.Dispatch(["a"]));
            Assert.True(d.BatchDone("a", batch, out ended));
        }
        Assert.Equal([1], ended);
        Assert.Equal(1, d.EpochsDone);
        Assert.False(d.Done);
    }
}

public sealed class CheckpointBookTests
{
    [Fact]
    public void A_checkpoint_is_due_at_the_end_of_an_epoch_and_of_the_run_and_every_n_steps()
    {
        var book = new CheckpointBook(new CheckpointSpec { EverySteps = 3, EverySeconds = 0 });
        Assert.False(book.Due(1, endsEpoch: false, last: false));
        Assert.True(book.Due(3, endsEpoch: false, last: false));
        Assert.True(book.Due(4, endsEpoch: true, last: false));
        Assert.True(book.Due(5, endsEpoch: false, last: true));
        Assert.False(new CheckpointBook(new CheckpointSpec { EverySteps = 0, EverySeconds = 0 }).Due(3, false, false));
    }

    [Fact]
    public void Retention_deletes_only_confirmed_saves_and_the_run_waits_for_saves_and_deletions()
    {
        var book = new CheckpointBook(new CheckpointSpec { Keep = 1 });
        book.Taken(new CheckpointRecord(1, 10, double.NaN));
        book.Saving(1, 10, 2.0);
        book.Taken(new CheckpointRecord(2, 20, double.NaN));
        book.Saving(2, 20, 2.0);
        Assert.False(book.Idle);
        Assert.Equal(20, book.Saved(2, out var delete)!.Value.Step);
        Assert.Empty(delete);                                   // 1 is not confirmed yet: it must not be deleted before its save lands
        Assert.NotNull(book.Saved(1, out delete));
        Assert.Equal([1L], delete);
        Assert.False(book.Idle);                                // the deletion is pending
        book.Deleted();
        Assert.True(book.Idle);
        Assert.Equal([20L], book.Records.Select(r => r.Step));
    }

    [Fact]
    public void A_failed_save_is_forgotten_and_does_not_hold_the_end()
    {
        var book = new CheckpointBook(new CheckpointSpec());
        book.Taken(new CheckpointRecord(5, 50, 0.9));
        book.Saving(5, 50, 1.0);
        book.SaveFailed(5);
        Assert.True(book.Idle);
        Assert.Empty(book.Records);
    }
}

public sealed class RunMetricsTests
{
    [Fact]
    public void An_epoch_has_its_training_figures_when_its_last_step_is_done_and_its_test_figures_later()
    {
        var runId = Guid.NewGuid();
        var metrics = new RunMetrics(runId);
        metrics.Restore([], new StepTotals(4, 2.0, 3));
        metrics.Add(new StepTotals(4, 1.0, 1));
        var trained = metrics.EndEpoch(1, trainingGoesOn: false);
        Assert.Equal(new StepTotals(8, 3.0, 4), trained.Totals);
        Assert.Equal(default, metrics.EpochTotals);
        Assert.Empty(metrics.Epochs);                            // not complete until evaluated
        var e = metrics.Complete(trained, testLoss: 0.25, testAccuracy: 0.75);
        Assert.Equal((runId, 1, 3.0 / 8, 0.5, 0.25, 0.75), (e.RunId, e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy));
        Assert.Equal([e], metrics.Epochs);
    }
}

public sealed class ResumeCheckTests
{
    private static readonly RunSpec Spec = new()
    {
        Name = "t", Seed = 5, Data = new DataSpec(),
        Layers = [new LayerSpec { Size = 3, Activation = Activation.Tanh }, new LayerSpec { Size = 2, Activation = Activation.Softmax }],
        Loss = Loss.SoftmaxCrossEntropy, Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.1), BatchSize = 2, Epochs = 1,
    };

    [Fact]
    public void A_checkpoint_of_other_shapes_seed_or_more_steps_names_what_differs()
    {
        var layout = ModelLayout.From(Spec, 4);
        var schedule = new RunSchedule(8, 2, 1, 5);
        int[] counts = [.. layout.Layers.Select(l => l.ParameterCount)];
        Assert.Null(ResumeCheck.Misfit(layout, Spec, schedule, 2, counts, 5));
        Assert.Equal("the checkpoint is after step 9, the spec has only 4 steps", ResumeCheck.Misfit(layout, Spec, schedule, 9, counts, 5));
        Assert.Equal("the checkpoint after step 2 has seed 6, the spec 5", ResumeCheck.Misfit(layout, Spec, schedule, 2, counts, 6));
        Assert.Equal("layer 1 of the checkpoint after step 2 has 99 parameters, the spec's layer 1 (3→2) has 8",
            ResumeCheck.Misfit(layout, Spec, schedule, 2, [counts[0], 99], 5));
    }
}

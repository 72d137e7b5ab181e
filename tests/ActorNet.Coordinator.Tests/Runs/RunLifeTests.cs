using ActorNet.Actors;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Tests.Training;
using Akka.Actor;
using Akka.TestKit;
using Xunit;

namespace ActorNet.Tests.Runs;

/// <summary>
/// The run actor's states, one transition a test: the workers and replicas are test probes
/// that answer as the real ones would (the parameter shards are real), so each test says which
/// message moves the run from one state to the next and what the run tells its listener.
/// </summary>
public sealed class RunLifeTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed record Run(Guid Id, IActorRef Actor, TestProbe Worker, TestProbe Listener, RunSetup<double> Setup)
    {
        public long StepsPerEpoch => Setup.Data.Train.Count / Setup.Spec.BatchSize;
    }

    /// <summary>Two epochs of two steps each, checkpointed at epoch ends only.</summary>
    private static RunSpec Spec(SyncMode mode = SyncMode.Synchronous)
    {
        var spec = TestRuns.Spec(Loss.SoftmaxCrossEntropy, Activation.Softmax, 2, (3, Activation.Tanh, 1)) with
        {
            Data = TestRuns.RandomData(rows: 10, features: 2, outputs: 2, Loss.SoftmaxCrossEntropy, seed: 9),
            Epochs = 2,
            Checkpoint = new CheckpointSpec { EverySeconds = 0 },
            Sync = new SyncSpec { Mode = mode },
        };
        var train = DataCache.Get(spec, null).Train.Count;
        return spec with { BatchSize = train / 2 };
    }

    private Run Start(RunSpec spec, Guid? id = null, bool fixedWorkers = true, int minWorkers = 1)
    {
        var data = DataCache.Get(spec, null);
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var worker = CreateTestProbe();
        var listener = CreateTestProbe();
        var setup = new RunSetup<double>(id ?? Guid.NewGuid(), spec, null, layout, data, layout.InitialParameters<double>(spec),
            [worker.Ref], Trace: false, listener.Ref, fixedWorkers, minWorkers);
        var actor = Sys.ActorOf(TrainingRunActor<double>.Props(setup));
        return new Run(setup.RunId, actor, worker, listener, setup);
    }

    private RunPhase Phase(Run run) => run.Actor.Ask<RunPhaseReported>(new RunPhaseQuery(), Wait).Result.Phase;

    /// <summary>The worker is asked for a replica; a probe answers as the replica. Returns it and the shards.</summary>
    private (TestProbe Replica, IReadOnlyList<IActorRef> Shards) Join(Run run, string worker = "w1")
    {
        var ask = run.Worker.ExpectMsg<StartReplica<double>>(Wait);
        var replica = CreateTestProbe();
        run.Actor.Tell(new ReplicaStarted(run.Id, replica.Ref, worker), run.Worker.Ref);
        return (replica, ask.Shards);
    }

    /// <summary>The replica computes its part: zero gradients to every shard, a loss to the run.</summary>
    private static ComputeGradients Compute(Run run, TestProbe replica, IReadOnlyList<IActorRef> shards, double lossSum = 1.0)
    {
        var job = replica.FishForMessage<ComputeGradients>(_ => true, Wait);
        for (var l = 0; l < shards.Count; l++)
            shards[l].Tell(new LayerGradientsComputed<double>(run.Id, job.Step, job.Attempt, l, job.Part, job.Parts, job.Indices.Length,
                new double[run.Setup.Layout.Layers[l].ParameterCount]), replica.Ref);
        run.Actor.Tell(new PartLossComputed(run.Id, job.Step, job.Attempt, job.Part, job.Indices.Length, lossSum, 1), replica.Ref);
        return job;
    }

    [Fact]
    public void A_new_run_journals_its_start_and_awaits_replicas_from_the_workers_it_was_given()
    {
        var run = Start(Spec());
        var ask = run.Worker.ExpectMsg<StartReplica<double>>(Wait);
        Assert.Equal((run.Id, 0L), (ask.RunId, ask.Version));
        Assert.Equal(RunPhase.AwaitingReplicas, Phase(run));
    }

    [Fact]
    public void A_replica_that_joins_starts_the_first_step_with_the_whole_batch()
    {
        var run = Start(Spec());
        var (replica, _) = Join(run);
        var job = replica.FishForMessage<ComputeGradients>(_ => true, Wait);
        Assert.Equal((0L, 0, 1, run.Setup.Spec.BatchSize), (job.Step, job.Part, job.Parts, job.Indices.Length));
        Assert.Equal(RunPhase.Stepping, Phase(run));
    }

    [Fact]
    public void A_committed_step_starts_the_next_and_an_epochs_end_is_evaluated_and_checkpointed_before_it()
    {
        var run = Start(Spec());
        var (replica, shards) = Join(run);
        Compute(run, replica, shards);
        Assert.Equal(0, run.Listener.ExpectMsg<StepCompleted>(Wait).Step);
        Compute(run, replica, shards);                          // the epoch's last step
        Assert.Equal(1, run.Listener.ExpectMsg<StepCompleted>(Wait).Step);
        var epoch = run.Listener.ExpectMsg<EpochCompleted>(Wait);
        Assert.Equal((1, 1.0 / (run.StepsPerEpoch * run.Setup.Spec.BatchSize) * 2), (epoch.Epoch, epoch.TrainLoss));
        Assert.Equal(2, run.Listener.ExpectMsg<CheckpointSaved>(Wait).Step);
        Assert.Equal(2, replica.FishForMessage<ComputeGradients>(_ => true, Wait).Step);
        Assert.Equal(RunPhase.Stepping, Phase(run));
    }

    [Fact]
    public void The_last_step_ends_the_run_completed_with_every_epoch_once_its_checkpoint_is_stored()
    {
        var run = Start(Spec());
        var (replica, shards) = Join(run);
        for (var s = 0; s < 4; s++) Compute(run, replica, shards);
        var done = run.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Assert.Equal((RunOutcome.Completed, 4L, 2), (done.Outcome, done.Steps, done.Epochs.Count));
        Watch(run.Actor);
        ExpectTerminated(run.Actor, Wait);
    }

    [Fact]
    public void A_stop_during_a_step_ends_the_run_cancelled_after_that_step_with_a_checkpoint()
    {
        var run = Start(Spec());
        var (replica, shards) = Join(run);
        run.Actor.Tell(new StopRun(run.Id));
        Compute(run, replica, shards);
        Assert.Equal(1, run.Listener.FishForMessage<CheckpointSaved>(_ => true, Wait).Step);
        var done = run.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Assert.Equal((RunOutcome.Cancelled, 1L), (done.Outcome, done.Steps));
    }

    [Fact]
    public void A_stop_while_awaiting_replicas_ends_the_run_at_once_instead_of_waiting_for_workers_that_may_never_come()
    {
        var run = Start(Spec(), fixedWorkers: false, minWorkers: 3);
        Join(run);                                              // one of three
        Assert.Equal(RunPhase.AwaitingReplicas, Phase(run));
        run.Actor.Tell(new StopRun(run.Id));
        var done = run.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Assert.Equal((RunOutcome.Cancelled, 0L), (done.Outcome, done.Steps));
    }

    [Fact]
    public void When_every_worker_refuses_a_local_run_fails_saying_why()
    {
        var run = Start(Spec());
        run.Worker.ExpectMsg<StartReplica<double>>(Wait);
        run.Actor.Tell(new ReplicaRefused(run.Id, "w1", "its data differ"));
        Assert.Equal("w1", run.Listener.ExpectMsg<WorkerLeftOut>(Wait).Worker);
        var failed = run.Listener.ExpectMsg<RunFailed>(Wait);
        Assert.Equal("no worker can take part: w1: its data differ", failed.Reason);
    }

    [Fact]
    public void A_replica_lost_mid_step_has_its_part_computed_by_the_next_one_to_join_in_a_new_round()
    {
        var run = Start(Spec());
        var (replica, _) = Join(run);
        replica.FishForMessage<ComputeGradients>(_ => true, Wait);
        Sys.Stop(replica.Ref);
        run.Listener.FishForMessage<WorkerLeftOut>(_ => true, Wait);
        var newcomer = CreateTestProbe();
        run.Actor.Tell(new ReplicaStarted(run.Id, newcomer.Ref, "w2"));
        var job = newcomer.FishForMessage<ComputeGradients>(_ => true, Wait);
        Assert.Equal((0L, 1, 0), (job.Step, job.Attempt, job.Part));
        Assert.Equal(RunPhase.Stepping, Phase(run));
    }

    [Fact]
    public void A_replica_that_joins_mid_step_takes_part_from_the_next_with_that_steps_parameters()
    {
        var run = Start(Spec());
        var (first, shards) = Join(run);
        var job = first.FishForMessage<ComputeGradients>(_ => true, Wait);
        var second = CreateTestProbe();
        run.Actor.Tell(new ReplicaStarted(run.Id, second.Ref, "w2"));
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(200));     // not during step 0
        for (var l = 0; l < shards.Count; l++)
            shards[l].Tell(new LayerGradientsComputed<double>(run.Id, 0, job.Attempt, l, 0, 1, job.Indices.Length,
                new double[run.Setup.Layout.Layers[l].ParameterCount]), first.Ref);
        run.Actor.Tell(new PartLossComputed(run.Id, 0, job.Attempt, 0, job.Indices.Length, 1.0, 1), first.Ref);

        for (var l = 0; l < shards.Count; l++)
        {
            var update = second.ExpectMsg<ParametersUpdated<double>>(Wait);
            Assert.Equal((1L, l), (update.Version, update.Layer)); // the parameters step 1 computes with
        }
        var next = second.FishForMessage<ComputeGradients>(_ => true, Wait);
        Assert.Equal((1L, 1, 2), (next.Step, next.Part, next.Parts));
    }

    [Fact]
    public void A_loss_that_is_not_finite_fails_the_run_naming_the_step()
    {
        var run = Start(Spec());
        var (replica, shards) = Join(run);
        Compute(run, replica, shards, lossSum: double.NaN);
        var failed = run.Listener.FishForMessage<RunFailed>(_ => true, Wait);
        Assert.Equal(0, failed.Step);
        Assert.StartsWith("the loss is NaN at step 0", failed.Reason);
    }

    [Fact]
    public void A_run_started_again_after_it_completed_only_says_how_it_ended()
    {
        var id = Guid.NewGuid();
        var first = Start(Spec(), id);
        var (replica, shards) = Join(first);
        for (var s = 0; s < 4; s++) Compute(first, replica, shards);
        var done = first.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Watch(first.Actor);
        ExpectTerminated(first.Actor, Wait);

        var again = Start(Spec(), id);
        var told = again.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Assert.Equal((RunOutcome.Completed, done.Steps), (told.Outcome, told.Steps));
        Assert.Equal(done.Parameters, told.Parameters);
        again.Worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // no replica asked for
    }

    [Fact]
    public void A_stored_run_started_with_another_network_is_refused_and_left_as_it_was()
    {
        var id = Guid.NewGuid();
        var first = Start(Spec(), id);
        var (replica, shards) = Join(first);
        Compute(first, replica, shards);
        Compute(first, replica, shards);
        first.Listener.FishForMessage<CheckpointSaved>(_ => true, Wait);
        Watch(first.Actor);
        Sys.Stop(first.Actor);
        ExpectTerminated(first.Actor, Wait);

        var other = Spec() with { Layers = [new LayerSpec { Size = 5, Activation = Activation.Tanh }, Spec().Layers[^1]] };
        var again = Start(other, id);
        var failed = again.Listener.FishForMessage<RunFailed>(_ => true, Wait);
        Assert.StartsWith("cannot resume: layer 0 of the checkpoint after step 2 has 9 parameters", failed.Reason);
    }

    [Fact]
    public void An_asynchronous_run_dispatches_one_batch_a_replica_and_stops_once_none_is_out()
    {
        var run = Start(Spec(SyncMode.Asynchronous));
        var (replica, shards) = Join(run);
        Assert.Equal(RunPhase.Dispatching, Phase(run));
        Compute(run, replica, shards);
        Assert.Equal(0, run.Listener.ExpectMsg<StepCompleted>(Wait).Step);
        var next = replica.FishForMessage<ComputeGradients>(_ => true, Wait);
        Assert.Equal((1L, 1), (next.Step, next.Parts));
        run.Actor.Tell(new StopRun(run.Id));
        run.Actor.Tell(new PartLossComputed(run.Id, 1, 0, 0, next.Indices.Length, 1.0, 1), replica.Ref);
        var done = run.Listener.FishForMessage<RunCompleted>(_ => true, Wait);
        Assert.Equal((RunOutcome.Cancelled, 2L), (done.Outcome, done.Steps));
    }
}

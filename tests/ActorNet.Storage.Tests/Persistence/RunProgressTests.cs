using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>Steps done and in all, from the journal of a run of 3 epochs of 10 steps,
/// checkpointed every 4 steps and at epoch ends.</summary>
public sealed class RunProgressTests
{
    private static readonly Guid Id = Guid.NewGuid();

    private static StoredRun Run(RunEnd? end, long endStep, params (long Step, int Epoch, double TestLoss)[] checkpoints)
    {
        const string json = """
            { "name": "progress", "data": { "builtin": "circles", "samples": 200 },
              "layers": [ { "size": 2, "activation": "softmax" } ], "loss": "softmaxCrossEntropy",
              "optimizer": { "kind": "sgd", "learningRate": 0.1 }, "batchSize": 15, "epochs": 3 }
            """;
        var spec = RunSpecReader.Parse(json, "test", "run");
        var started = new RunStarted(Id, json, null, 1, 2, [], [], [], 0);
        return new StoredRun(Id, started, spec, ModelLayout.From(spec, 2),
            end is { } e ? new RunEnded(Id, e, endStep, "", 0) : null, [],
            checkpoints.Select((c, i) => new StoredCheckpoint(Id, i + 2, c.Step, c.Epoch, DateTimeOffset.UnixEpoch, 0.5, c.TestLoss, double.NaN)).ToArray());
    }

    [Fact]
    public void A_completed_run_did_all_its_steps()
    {
        var run = Run(RunEnd.Completed, 30, (28, 2, double.NaN), (30, 3, 0.2));
        Assert.Equal(30, RunProgress.Steps(run));
        Assert.Equal(30, RunProgress.TotalSteps(run));
    }

    [Fact]
    public void A_running_run_is_at_its_latest_checkpoint_and_its_total_follows_from_an_epoch_end()
    {
        // Retention kept the best (the end of epoch 1, step 10) and the latest two.
        var run = Run(null, 0, (10, 1, 0.4), (16, 1, double.NaN), (24, 2, double.NaN));
        Assert.Equal(24, RunProgress.Steps(run));
        Assert.Equal(30, RunProgress.TotalSteps(run));
    }

    [Fact]
    public void Before_an_epoch_ends_the_total_is_not_known()
    {
        var run = Run(null, 0, (4, 0, double.NaN), (8, 0, double.NaN));
        Assert.Equal(8, RunProgress.Steps(run));
        Assert.Null(RunProgress.TotalSteps(run));
        Assert.Equal(0, RunProgress.Steps(Run(null, 0)));
    }

    [Fact]
    public void A_cancelled_run_stopped_where_it_ended()
    {
        var run = Run(RunEnd.Cancelled, 13, (10, 1, 0.4), (13, 1, double.NaN));
        Assert.Equal(13, RunProgress.Steps(run));
        Assert.Equal(30, RunProgress.TotalSteps(run));
    }
}

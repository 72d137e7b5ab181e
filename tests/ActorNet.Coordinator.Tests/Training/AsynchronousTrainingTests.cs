using ActorNet.Model;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>Stale-synchronous training: each worker's gradient is applied as it comes.</summary>
public sealed class AsynchronousTrainingTests : Akka.TestKit.Xunit2.TestKit
{
    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 2)]
    public async Task Converges_on_the_circles(int workers, int maxStaleness)
    {
        var spec = RunSpecReader.Load(RepoFiles.PathOf("examples", "circles.json")) with
        {
            Sync = new SyncSpec { Mode = SyncMode.Asynchronous, MaxStaleness = maxStaleness },
        };
        var (done, _, steps) = await TestRuns.TrainAsync(Sys, spec, workers);

        Assert.Equal(ActorNet.Protocol.RunOutcome.Completed, done.Outcome);
        Assert.Equal(spec.Epochs, done.Epochs.Count);
        Assert.Equal(done.Steps, steps.Count);          // every batch of every epoch, once
        Assert.Equal(steps.Count, steps.Select(s => s.Step).Distinct().Count());
        Assert.True(done.Epochs[^1].TestAccuracy >= 0.97, $"test accuracy {done.Epochs[^1].TestAccuracy}; epochs {string.Join(" ", done.Epochs.Select(e => $"{e.Epoch}:{e.TestAccuracy:F2}/{e.TrainLoss:F3}"))}; steps {done.Steps}");
    }

    [Fact]
    public void The_sync_section_is_read_and_checked()
    {
        var spec = RunSpecReader.Parse("""
            { "data": { "builtin": "xor" }, "layers": [ { "size": 2, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.1 },
              "sync": { "mode": "async", "maxStaleness": 3 } }
            """);
        Assert.Equal((SyncMode.Asynchronous, 3), (spec.Sync.Mode, spec.Sync.MaxStaleness));
        Assert.Equal(spec.Sync, RunSpecReader.Parse(RunSpecWriter.ToJson(spec)).Sync);

        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Parse("""
            { "data": { "builtin": "xor" }, "layers": [ { "size": 2, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.1 },
              "sync": { "mode": "eventually", "maxStaleness": -1 } }
            """));
        Assert.Contains("sync.mode: unknown 'eventually' (expected one of: sync, async)", e.Errors);
        Assert.Contains("sync.maxStaleness: must be at least 0, found -1", e.Errors);
    }
}

public sealed class DivergenceTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task A_run_whose_weights_stop_being_finite_fails_naming_the_step_and_layer()
    {
        var spec = RunSpecReader.Parse("""
            { "data": { "builtin": "circles", "samples": 200 },
              "layers": [ { "size": 8, "activation": "relu" }, { "size": 1, "activation": "identity" } ],
              "loss": "mse", "optimizer": { "kind": "sgd", "learningRate": 1e30 }, "epochs": 5 }
            """);
        var e = await Assert.ThrowsAsync<ActorNet.Training.RunFailedException>(() => TestRuns.TrainAsync(Sys, spec));
        // Whichever is seen first: the weights an update produced, or the loss the next forward pass gave.
        Assert.Matches(@"^(layer \d: (weight \[\d+, \d+\]|bias \[\d+\]) is (NaN|∞|-∞|Infinity|-Infinity) after step \d+" +
                       @"|the loss is (NaN|∞|-∞|Infinity|-Infinity) at step \d+ \(layer 1, the output layer, part 0\))$", e.Failure.Reason);
    }
}

using ActorNet.Coordinator.Actors;
using ActorNet.Coordinator.Runs;
using ActorNet.Tests;
using Akka.Actor;
using Xunit;

namespace ActorNet.Coordinator.Tests;

public sealed class ClusterTrainingTests
{
    private static string Example(string name) => File.ReadAllText(RepoFiles.PathOf("examples", name));

    [Fact]
    public async Task Two_worker_nodes_train_the_circles_over_the_wire()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 2);
        var id = await cluster.SubmitAsync(Example("circles.json"), minWorkers: 2);
        var status = await cluster.WaitForEndAsync(id, TimeSpan.FromMinutes(3));
        Assert.Equal("completed", status.State);
        Assert.Equal(2, status.Workers);
        Assert.Equal(40, status.Epoch);
        Assert.True(status.TestAccuracy >= 0.97, $"test accuracy {status.TestAccuracy}");
    }

    [Fact]
    public async Task A_run_that_ended_shows_its_figures_after_the_coordinator_starts_again()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 1);
        var id = await cluster.SubmitAsync(Example("circles.json").Replace("\"epochs\": 40", "\"epochs\": 3"), minWorkers: 1);
        var ended = await cluster.WaitForEndAsync(id, TimeSpan.FromMinutes(2));
        Assert.Equal(("completed", 3), (ended.State, ended.Epoch));

        await cluster.RestartRunManagerAsync();
        var again = (await cluster.Runs.Ask<CurrentRun>(new GetRun(id), TimeSpan.FromSeconds(10))).Run!;
        Assert.Equal(ended with { Events = again.Events }, again); // the events (workers left out) are not journaled
        Assert.NotNull(again.TestAccuracy);
    }

    [Fact]
    public async Task A_layer_of_ten_million_weights_trains_across_nodes()
    {
        // 2 → 4000 → 2500 → 2: the middle layer has 4000·2500 = 10,000,000 weights, so its
        // parameters and its gradient are 40 MB messages each way.
        const string spec = """
            { "name": "big", "seed": 3, "data": { "builtin": "circles", "samples": 10, "testFraction": 0.2 },
              "layers": [ { "size": 4000, "activation": "relu" }, { "size": 2500, "activation": "relu" }, { "size": 2, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.001 },
              "batchSize": 4, "epochs": 1 }
            """;
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 1);
        var id = await cluster.SubmitAsync(spec, minWorkers: 1);
        var status = await cluster.WaitForEndAsync(id, TimeSpan.FromMinutes(3));
        Assert.True(status.State == "completed", $"{status.State}: {status.Error}; {string.Join("; ", status.Events)}");
        Assert.Equal(2, status.Step); // 8 training rows in batches of 4
        Assert.True(double.IsFinite(status.TrainLoss!.Value));
    }

    private const string Moons = """
        { "name": "moons", "seed": 5, "data": { "builtin": "moons", "samples": 300 },
          "layers": [ { "size": 12, "activation": "tanh", "groups": 2 }, { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy", "optimizer": { "kind": "momentum", "learningRate": 0.05 },
          "batchSize": 30, "microBatches": 2, "epochs": 4 }
        """;

    private static async Task<RunStatus> TrainAsync(int workers)
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers);
        var id = await cluster.SubmitAsync(Moons, minWorkers: workers);
        var status = await cluster.WaitForEndAsync(id, TimeSpan.FromMinutes(3));
        Assert.True(status.State == "completed", $"{status.State}: {status.Error}");
        Assert.Equal(workers, status.Workers);
        return status;
    }

    [Fact]
    public async Task Over_the_wire_one_and_two_workers_agree_and_two_runs_repeat_exactly()
    {
        var one = await TrainAsync(1);
        var two = await TrainAsync(2);
        var again = await TrainAsync(2);
        Assert.True(Math.Abs(one.TrainLoss!.Value - two.TrainLoss!.Value) <= 1e-4 * one.TrainLoss.Value, $"train loss {one.TrainLoss} vs {two.TrainLoss}");
        // Same settings twice: the same sums in the same order, so the very same bits.
        Assert.Equal(BitConverter.DoubleToInt64Bits(two.TrainLoss!.Value), BitConverter.DoubleToInt64Bits(again.TrainLoss!.Value));
        Assert.Equal(BitConverter.DoubleToInt64Bits(two.TestLoss!.Value), BitConverter.DoubleToInt64Bits(again.TestLoss!.Value));
    }

    [Fact]
    public async Task A_worker_node_that_goes_away_mid_run_costs_only_its_part_of_a_step()
    {
        // Epochs enough for the run to outlast the node's leaving by far: with 400, on a busy
        // machine (all test assemblies at once), the run ended before the node had left.
        var spec = Moons.Replace("\"epochs\": 4", "\"epochs\": 2000");
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 2);
        var id = await cluster.SubmitAsync(spec, minWorkers: 2);
        await TwoNodeCluster.WaitAsync(async () =>
            (await cluster.Runs.Ask<CurrentRun>(new GetRun(id), TimeSpan.FromSeconds(10))).Run is { Step: > 20 }, TimeSpan.FromMinutes(1), "the run to get going");
        await cluster.Workers[1].Terminate(); // the node leaves; its replica dies with it

        var status = await cluster.WaitForEndAsync(id, TimeSpan.FromMinutes(3));
        Assert.True(status.State == "completed", $"{status.State}: {status.Error}");
        Assert.Equal(1, status.Workers);
        Assert.Equal(2000, status.Epoch);
        Assert.Contains(status.Events, e => e.Contains("lost at step", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_spec_is_rejected_with_every_mistake()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(workers: 0);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cluster.SubmitAsync("""{ "data": { "builtin": "circles" }, "layers": [ { "size": 2, "activation": "relu6" } ], "loss": "mse" }""", 1));
        Assert.Contains("layers[0].activation: unknown 'relu6'", e.Message);
        Assert.Contains("optimizer: missing", e.Message);
    }
}

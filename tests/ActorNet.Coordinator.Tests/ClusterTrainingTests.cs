using Xunit;

namespace ActorNet.Coordinator.Tests;

public sealed class ClusterTrainingTests
{
    private static string Example(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ActorNet.sln"))) dir = Path.GetDirectoryName(dir);
        return File.ReadAllText(Path.Combine(dir!, "examples", name));
    }

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

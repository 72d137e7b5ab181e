using System.Text.Json;
using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary><c>actornet bench</c> on a small slice of the data: every case trains the same
/// network on the same samples, so they end with the same accuracy; the figures are there.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task The_plain_loop_the_layer_actors_and_a_one_worker_cluster_train_the_same_and_are_measured()
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(6),
            "bench", "--cases", "plain,actors,cluster-1", "--batches", "64", "--samples", "3200", "--epochs", "3", "--json");
        Assert.True(code == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        var results = report.GetProperty("Results").EnumerateArray().ToDictionary(r => r.GetProperty("Case").GetString()!);

        Assert.Equal(["plain", "actors", "cluster-1"], results.Keys);
        foreach (var r in results.Values)
        {
            Assert.Equal(64, r.GetProperty("Batch").GetInt32());
            Assert.True(r.GetProperty("SamplesPerSecond").GetDouble() > 0);
            Assert.True(r.GetProperty("CpuSecondsPer1000").GetDouble() > 0);
            Assert.True(r.GetProperty("PeakRssBytes").GetInt64() > 0);
            // The same samples through the same arithmetic: the same model, whichever way.
            Assert.Equal(results["plain"].GetProperty("TestAccuracy").GetDouble(), r.GetProperty("TestAccuracy").GetDouble());
        }
        Assert.Equal(2 * 50, results["plain"].GetProperty("Steps").GetInt64());   // epochs 2 and 3, 3,200 / 64 steps each
        Assert.Equal(2 * 50, results["actors"].GetProperty("Steps").GetInt64());
        Assert.Equal(JsonValueKind.Null, results["actors"].GetProperty("BytesSentPerStep").ValueKind);
        // A worker sends each layer's gradient once per step: the parameters' bytes (784-256-128-10, float32) and a little framing.
        var parameterBytes = 4 * (784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
        var sent = results["cluster-1"].GetProperty("BytesSentPerStep").GetDouble();
        Assert.InRange(sent, parameterBytes, 1.01 * parameterBytes);
        Assert.Equal(784 * 256 * 2 + 256 * 128 * 3 + 128 * 10 * 3, report.GetProperty("FlopsPerSample").GetDouble() / 2);
    }

    [Fact]
    public async Task Bad_options_are_refused_with_what_is_wrong()
    {
        using var cli = new Cli();
        var (code, _, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), "bench", "--cases", "plain,tensorflow");
        Assert.Equal(2, code);
        Assert.Contains("--cases: unknown 'tensorflow' (expected any of: plain, actors, groups, cluster-1, cluster-2)", stderr);
        (code, _, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), "bench", "--epochs", "1");
        Assert.Equal(2, code);
        Assert.Contains("--epochs: at least 2 (the first warms up and is not measured), found 1", stderr);
    }
}

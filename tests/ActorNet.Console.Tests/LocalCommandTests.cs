using System.Text.Json;
using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary>The article's classification picture: circles are not linearly separable.</summary>
public sealed class LocalCommandTests
{
    [Fact]
    public async Task A_hidden_layer_separates_the_circles_and_saves_and_plots()
    {
        using var cli = new Cli();
        var weights = cli.PathIn("out/circles.json");
        var png = cli.PathIn("out/circles.png");
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(4),
            "local", "--spec", Cli.Example("circles.json"), "--json", "--save", weights, "--plot", png);
        Assert.True(code == 0, stderr);
        var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(40, result.GetProperty("epochs").GetInt32());
        Assert.True(result.GetProperty("testAccuracy").GetDouble() >= 0.97, stdout);
        Assert.True(result.GetProperty("samplesPerSecond").GetDouble() > 0);

        var saved = JsonDocument.Parse(File.ReadAllText(weights)).RootElement.GetProperty("layers");
        Assert.Equal(2, saved.GetArrayLength());
        Assert.Equal(16, saved[0].GetProperty("weights").GetArrayLength());          // one row per neuron
        Assert.Equal(2, saved[0].GetProperty("weights")[0].GetArrayLength());        // one column per input
        Assert.Equal(16, saved[0].GetProperty("biases").GetArrayLength());
        Assert.Equal("tanh", saved[0].GetProperty("activation").GetString());
        Assert.Equal("softmax", saved[1].GetProperty("activation").GetString());

        var header = File.ReadAllBytes(png)[..8];
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, header);
    }

    [Fact]
    public async Task Without_a_hidden_layer_the_circles_stay_near_chance()
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(4), "local", "--spec", Cli.Example("circles-linear.json"), "--json");
        Assert.True(code == 0, stderr);
        var accuracy = JsonDocument.Parse(stdout.Trim()).RootElement.GetProperty("testAccuracy").GetDouble();
        Assert.True(accuracy <= 0.65, $"a linear model reached {accuracy:P1} on circles");
    }

    [Fact]
    public async Task A_bad_spec_lists_its_mistakes_and_trains_nothing()
    {
        using var cli = new Cli();
        var spec = cli.PathIn("bad.json");
        File.WriteAllText(spec, """
            { "data": { "builtin": "circles" }, "layers": [ { "size": 4, "activation": "relu6" } ],
              "loss": "mse", "optimizer": { "kind": "sgd", "learningRate": 0.1 } }
            """);
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), "local", "--spec", spec, "--json");
        Assert.Equal(2, code);
        Assert.Contains("layers[0].activation: unknown 'relu6' (expected one of: identity, logistic", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public async Task A_malformed_csv_names_the_file_line_and_column()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("data.csv"), "x,y,label\n1,2,0\n3,oops,1\n5,6,0\n");
        var spec = cli.PathIn("csv.json");
        File.WriteAllText(spec, """
            { "data": { "train": "data.csv" }, "layers": [ { "size": 2, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.1 } }
            """);
        var (code, _, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), "local", "--spec", spec);
        Assert.Equal(2, code);
        Assert.Contains("data.csv:3:2", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task The_last_layer_must_fit_the_classes()
    {
        using var cli = new Cli();
        var spec = cli.PathIn("classes.json");
        File.WriteAllText(spec, """
            { "data": { "builtin": "circles", "samples": 100 }, "layers": [ { "size": 3, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.1 } }
            """);
        var (code, _, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), "local", "--spec", spec);
        Assert.Equal(2, code);
        Assert.Contains("layers[0].size: the data have 2 classes, so the last layer needs 2 neurons (or 1), not 3", stderr);
    }
}

public sealed class LocalCommandInterruptTests
{
    [SkippableFact]
    public async Task Ctrl_C_finishes_the_step_and_stops_cleanly_keeping_what_was_learned()
    {
        // A shell without job control starts background commands with SIGINT ignored, and a
        // process hands that on to the processes it starts: the command would never see the signal.
        Skip.If(SigIntIgnored(), "SIGINT is ignored in this test process (its shell started it in the background without job control), " +
                                 "and so in the actornet it starts: Ctrl+C cannot be simulated here");
        using var cli = new Cli();
        var spec = cli.PathIn("long.json");
        File.WriteAllText(spec, """
            { "data": { "builtin": "circles", "samples": 400 },
              "layers": [ { "size": 8, "activation": "tanh" }, { "size": 2, "activation": "softmax" } ],
              "loss": "softmaxCrossEntropy", "optimizer": { "kind": "adam", "learningRate": 0.01 },
              "batchSize": 16, "epochs": 100000 }
            """);
        var weights = cli.PathIn("partial.json");
        var signalled = 0;
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(2), (line, process) =>
        {
            // SIGINT, as Ctrl+C sends, once the first epoch is reported.
            if (line.StartsWith("epoch 2/", StringComparison.Ordinal) && Interlocked.Exchange(ref signalled, 1) == 0)
                System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString()])!.WaitForExit();
        }, "local", "--spec", spec, "--save", weights);

        Assert.Equal(1, signalled);
        Assert.True(code == 130, $"exit code {code}; stderr: {stderr}");
        Assert.Contains("Stopped after", stdout);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(2, System.Text.Json.JsonDocument.Parse(File.ReadAllText(weights)).RootElement.GetProperty("layers").GetArrayLength());
    }

    /// <summary>Whether this process ignores SIGINT (signal 2: bit 1 of /proc/self/status's SigIgn mask).</summary>
    private static bool SigIntIgnored() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } line
        && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
}

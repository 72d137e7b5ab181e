using ActorNet.Model;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Model;

public sealed class RunSpecReaderTests
{
    private const string Valid = """
        {
          "name": "t", "seed": 7,
          "data": { "builtin": "circles", "samples": 200 },
          "layers": [ { "size": 8, "activation": "tanh", "groups": 2 }, { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy",
          "optimizer": { "kind": "momentum", "learningRate": 0.1, "nesterov": true },
          "batchSize": 16, "microBatches": 4, "epochs": 3
        }
        """;

    [Fact]
    public void Reads_a_valid_spec_with_its_defaults()
    {
        var s = RunSpecReader.Parse(Valid);
        Assert.Equal("t", s.Name);
        Assert.Equal(7UL, s.Seed);
        Assert.Equal(Precision.Float32, s.Precision);
        Assert.Equal("circles", s.Data.Builtin);
        Assert.Equal(0.2, s.Data.TestFraction);
        Assert.Equal(2, s.Layers[0].Groups);
        Assert.Equal(Activation.Softmax, s.Layers[1].Activation);
        Assert.Equal(OptimizerKind.Momentum, s.Optimizer.Kind);
        Assert.True(s.Optimizer.Nesterov);
        Assert.Equal(4, s.MicroBatches);
        Assert.True(s.TrainBiases);
        Assert.Equal((0, 60, 3), (s.Checkpoint.EverySteps, s.Checkpoint.EverySeconds, s.Checkpoint.Keep));
    }

    [Fact]
    public void Checkpoint_timing_is_read_checked_and_written_back()
    {
        var s = RunSpecReader.Parse(Valid.Replace("\"epochs\": 3", "\"epochs\": 3, \"checkpoint\": { \"everySteps\": 50, \"everySeconds\": 0 }"));
        Assert.Equal((50, 0), (s.Checkpoint.EverySteps, s.Checkpoint.EverySeconds));
        Assert.Equal(s.Checkpoint, RunSpecReader.Parse(RunSpecWriter.ToJson(s)).Checkpoint);

        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Parse(Valid.Replace("\"epochs\": 3", "\"epochs\": 3, \"checkpoint\": { \"everySeconds\": -5 }")));
        Assert.Contains("checkpoint.everySeconds: must be at least 0, found -5", e.Errors);
    }

    [Fact]
    public void Lists_every_mistake_at_once_each_naming_its_place()
    {
        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Parse("""
            {
              "data": { "builtin": "cirles" },
              "layers": [ { "size": 0, "activation": "relu6" }, { "size": 3, "activation": "logistic", "groups": 4, "sise": 1 } ],
              "loss": "softmaxCrossEntropy",
              "optimizer": { "kind": "adagrad" },
              "batchSize": -1
            }
            """, "bad.json"));
        Assert.Contains(e.Errors, m => m.StartsWith("layers[0].activation: unknown 'relu6' (expected one of: identity, logistic, tanh", StringComparison.Ordinal));
        Assert.Contains("data.builtin: unknown 'cirles' (expected one of: circles, moons, spirals, xor)", e.Errors);
        Assert.Contains("layers[0].size: must be at least 1, found 0", e.Errors);
        Assert.Contains("layers[1].groups: 4 groups for 3 neurons: each group needs at least one neuron", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("layers[1].sise: unknown key", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("optimizer.kind: unknown 'adagrad'", StringComparison.Ordinal));
        Assert.Contains("optimizer.learningRate: missing", e.Errors);
        Assert.Contains("batchSize: must be at least 1, found -1", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("layers[1].activation: softmaxCrossEntropy needs a softmax output layer", StringComparison.Ordinal));
        Assert.StartsWith("bad.json: ", e.Message);
    }

    [Fact]
    public void Reports_broken_json_with_line_and_column()
    {
        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Parse("{\n  \"seed\": 1,\n  \"layers\": [ }\n}", "broken.json"));
        var error = Assert.Single(e.Errors);
        Assert.StartsWith("line 3, column ", error);
    }

    [Fact]
    public void Checks_explicit_weights_against_the_layer_sizes()
    {
        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Parse("""
            {
              "data": { "inline": { "inputs": [[1, 2]], "targets": [[1]] } },
              "layers": [ { "size": 2, "activation": "tanh", "weights": [[1, 2], [3]] },
                          { "size": 1, "activation": "identity", "weights": [[1, 2, 3]], "biases": [1, 2] } ],
              "loss": "mse", "optimizer": { "kind": "sgd", "learningRate": 0.1 }
            }
            """));
        Assert.Contains("layers[0].weights[1]: 1 values, but row 0 has 2", e.Errors);
        Assert.Contains("layers[1].biases: 2 values, but the layer has 1 neurons", e.Errors);
    }

    [Fact]
    public void A_missing_file_is_one_clear_error()
    {
        var e = Assert.Throws<RunSpecException>(() => RunSpecReader.Load("/nonexistent/spec.json"));
        Assert.StartsWith("cannot read the file:", Assert.Single(e.Errors));
    }

    [Theory]
    [InlineData("circles.json")]
    [InlineData("circles-linear.json")]
    [InlineData("backprop.json")]
    [InlineData("fashion-mnist.json")]
    public void The_shipped_examples_are_valid(string file)
    {
        var path = RepoFiles.PathOf("examples", file);
        var spec = RunSpecReader.Load(path);
        Assert.NotEmpty(spec.Layers);
    }

    [Theory]
    [InlineData("circles.json")]
    [InlineData("backprop.json")]
    [InlineData("fashion-mnist.json")]
    public void A_spec_written_as_json_reads_back_the_same(string file)
    {
        // Workers get the spec as the JSON RunSpecWriter makes of it.
        var spec = RunSpecReader.Load(RepoFiles.PathOf("examples", file));
        var json = RunSpecWriter.ToJson(spec);
        var again = RunSpecReader.Parse(json, "written", spec.Name);
        Assert.Equal(json, RunSpecWriter.ToJson(again));
        Assert.Equal((spec.Seed, spec.Loss, spec.Optimizer, spec.BatchSize, spec.Epochs, spec.TrainBiases, spec.Precision),
            (again.Seed, again.Loss, again.Optimizer, again.BatchSize, again.Epochs, again.TrainBiases, again.Precision));
        Assert.Equal(spec.Layers.Select(l => (l.Size, l.Activation, l.Groups)), again.Layers.Select(l => (l.Size, l.Activation, l.Groups)));
    }
}

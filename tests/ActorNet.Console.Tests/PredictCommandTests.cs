using System.Globalization;
using System.Text.Json;
using ActorNet.Model;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary><c>actornet predict</c> on models that <c>actornet local --save</c> wrote, as JSON
/// and as ONNX, from raw (unscaled) feature rows.</summary>
public sealed class PredictCommandTests : IClassFixture<PredictCommandTests.TrainedCircles>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>Points on the circles' two rings (radius 1: outer, radius ½: inner), raw: the
    /// model's saved scaling must be applied to them.</summary>
    private const string Points = "x,y\n1,0\n0,-1\n-0.7,0.7\n0.5,0\n0,-0.5\n-0.35,0.35\n";
    private static readonly string[] Rings = ["outer", "outer", "outer", "inner", "inner", "inner"];

    private readonly TrainedCircles _trained;

    public PredictCommandTests(TrainedCircles trained) => _trained = trained;

    /// <summary>One training run shared by the tests: a standardized circles model saved as JSON
    /// and as ONNX (the same seed, so the same weights).</summary>
    public sealed class TrainedCircles : IAsyncLifetime
    {
        internal Cli Cli { get; } = new();
        public string Json => Cli.PathIn("circles.json");
        public string Onnx => Cli.PathIn("circles.onnx");

        public async Task InitializeAsync()
        {
            var spec = Cli.PathIn("spec.json");
            File.WriteAllText(spec, """
                { "name": "predict", "seed": 5,
                  "data": { "builtin": "circles", "samples": 600, "scaling": "standardize" },
                  "layers": [ { "size": 12, "activation": "tanh" }, { "size": 2, "activation": "softmax" } ],
                  "loss": "softmaxCrossEntropy", "optimizer": { "kind": "adam", "learningRate": 0.03 },
                  "batchSize": 32, "epochs": 30 }
                """);
            foreach (var file in new[] { Json, Onnx })
            {
                var (code, stdout, stderr) = await Cli.RunAsync(TimeSpan.FromMinutes(3), "local", "--spec", spec, "--json", "--save", file);
                Assert.True(code == 0, stderr);
                Assert.True(JsonDocument.Parse(stdout.Trim()).RootElement.GetProperty("testAccuracy").GetDouble() >= 0.95, stdout);
            }
        }

        public Task DisposeAsync()
        {
            Cli.Dispose();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public void The_saved_model_holds_its_scaling_classes_and_loss()
    {
        var model = SavedModel.Load(_trained.Json);
        Assert.Equal("standardize", model.Scaling!.Kind);
        Assert.All(model.Scaling.Divisors, d => Assert.InRange(d, 0.3, 1.0)); // ring coordinates have a spread of about 0.6
        Assert.Equal(["outer", "inner"], model.Classes!);
        Assert.Equal("softmaxCrossEntropy", model.Loss);
    }

    [Fact]
    public async Task A_json_model_names_the_ring_of_each_point_and_prints_its_outputs()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("points.csv"), Points);
        var (code, stdout, stderr) = await cli.RunAsync(Timeout, "predict", "--model", _trained.Json, "--input", "points.csv");
        Assert.True(code == 0, stderr);
        var lines = stdout.Trim().Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(Rings, lines.Select(l => l[0]));
        foreach (var l in lines)
        {
            var p = l[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(2, p.Length);
            Assert.Equal(1.0, p.Sum(), 4); // softmax
            Assert.Equal(l[0] == "outer" ? 0 : 1, p[1] > p[0] ? 1 : 0);
        }
    }

    [Fact]
    public async Task Json_output_is_what_the_saved_model_computes_and_the_onnx_model_agrees()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("points.csv"), Points);
        var fromJson = await PredictJsonAsync(cli, _trained.Json, "points.csv");
        var fromOnnx = await PredictJsonAsync(cli, _trained.Onnx, "points.csv");

        // The reference: the saved model's scaling and layers applied in this process.
        var model = SavedModel.Load(_trained.Json);
        var raw = new float[] { 1, 0, 0, -1, -0.7f, 0.7f, 0.5f, 0, 0, -0.5f, -0.35f, 0.35f };
        var scaled = model.ToScaler()!.Apply(raw);
        var expected = Inference.Forward(model.ToLayout(), model.ToParameters<double>(), Array.ConvertAll(scaled, v => (double)v), 6);

        Assert.Equal(6, fromJson.Length);
        Assert.Equal(6, fromOnnx.Length);
        for (var r = 0; r < 6; r++)
        {
            Assert.Equal(Rings[r], fromJson[r].Name);
            Assert.Equal(Rings[r], fromOnnx[r].Name);
            Assert.Equal(Rings[r] == "outer" ? 0 : 1, fromJson[r].Class);
            for (var k = 0; k < 2; k++)
            {
                Assert.Equal(expected[r * 2 + k], fromJson[r].Outputs[k], 12);
                Assert.True(Math.Abs(expected[r * 2 + k] - fromOnnx[r].Outputs[k]) <= 1e-5,
                    $"row {r} output {k}: ActorNet {expected[r * 2 + k]}, ONNX Runtime {fromOnnx[r].Outputs[k]}");
            }
        }
    }

    [Fact]
    public async Task A_label_column_after_the_features_is_ignored_or_named()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("points.csv"), Points);
        File.WriteAllText(cli.PathIn("labelled.csv"), "x,y,ring\n1,0,inner\n0,-1,inner\n-0.7,0.7,inner\n0.5,0,outer\n0,-0.5,outer\n-0.35,0.35,outer\n");
        File.WriteAllText(cli.PathIn("first.csv"), "ring,x,y\nouter,1,0\nouter,0,-1\nouter,-0.7,0.7\ninner,0.5,0\ninner,0,-0.5\ninner,-0.35,0.35\n");
        var plain = await PredictJsonAsync(cli, _trained.Json, "points.csv");
        var labelled = await PredictJsonAsync(cli, _trained.Json, "labelled.csv");
        var first = await PredictJsonAsync(cli, _trained.Json, "first.csv", "--label-column", "ring");
        Assert.Equal(plain.Select(p => p.Name), labelled.Select(p => p.Name)); // the (wrong) labels are not read
        Assert.Equal(plain.Select(p => p.Outputs[0]), labelled.Select(p => p.Outputs[0]));
        Assert.Equal(plain.Select(p => p.Outputs[0]), first.Select(p => p.Outputs[0]));
    }

    [Fact]
    public async Task A_model_without_class_names_prints_class_indices()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("m.json"), """{"layers":[{"weights":[[1,-1]],"biases":[0],"activation":"logistic"}]}""");
        File.WriteAllText(cli.PathIn("x.csv"), "a,b\n2,0\n0,2\n");
        var (code, stdout, stderr) = await cli.RunAsync(Timeout, "predict", "--model", "m.json", "--input", "x.csv");
        Assert.True(code == 0, stderr);
        // logistic(2) = 0.880797, logistic(-2) = 0.119203; a single output is class 1 when ≥ ½.
        Assert.Equal("1  0.880797\n0  0.119203", stdout.Trim().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("nowhere.json", "points.csv", "nowhere.json: no such file")]
    [InlineData("nowhere.onnx", "points.csv", "nowhere.onnx: no such file")]
    [InlineData("garbage.json", "points.csv", "garbage.json:1: not a saved model")]
    [InlineData("misfit.json", "points.csv", "misfit.json: layers[1].weights: rows of 3 values, but layers[0] has 2 neurons")]
    [InlineData("garbage.onnx", "points.csv", "garbage.onnx: not a model ONNX Runtime can load")]
    [InlineData("TRAINED", "nowhere.csv", "nowhere.csv: no such file")]
    [InlineData("TRAINED", "wide.csv", "wide.csv:1: 4 columns, but the model takes 2 features")]
    [InlineData("TRAINED", "ragged.csv", "ragged.csv:3:3: extra cell: the row has 3 cells, but line 1 has 2")]
    [InlineData("TRAINED", "text.csv", "text.csv:4:2: 'north' is not a number")]
    [InlineData("TRAINED.onnx", "text.csv", "text.csv:4:2: 'north' is not a number")]
    public async Task Bad_input_is_one_line_on_stderr_and_exit_code_2(string model, string input, string expected)
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("points.csv"), Points);
        File.WriteAllText(cli.PathIn("garbage.json"), "weights: 1, 2, 3\n");
        File.WriteAllText(cli.PathIn("garbage.onnx"), "not protobuf at all");
        File.WriteAllText(cli.PathIn("misfit.json"), """
            {"layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"tanh"},
                       {"weights":[[1,2,3]],"biases":[0],"activation":"logistic"}]}
            """);
        File.WriteAllText(cli.PathIn("wide.csv"), "a,b,c,d\n1,2,3,4\n");
        File.WriteAllText(cli.PathIn("ragged.csv"), "x,y\n1,2\n3,4,5\n");
        File.WriteAllText(cli.PathIn("text.csv"), "x,y\n1,2\n3,4\n5,north\n");
        model = model switch { "TRAINED" => _trained.Json, "TRAINED.onnx" => _trained.Onnx, _ => model };

        var (code, stdout, stderr) = await cli.RunAsync(Timeout, "predict", "--model", model, "--input", input);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    private sealed record Prediction(int Class, string? Name, double[] Outputs);

    private static async Task<Prediction[]> PredictJsonAsync(Cli cli, string model, string input, params string[] more)
    {
        var (code, stdout, stderr) = await cli.RunAsync(Timeout, ["predict", "--model", model, "--input", input, "--json", .. more]);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(p => new Prediction(
            p.GetProperty("class").GetInt32(),
            p.TryGetProperty("name", out var name) ? name.GetString() : null,
            p.GetProperty("outputs").EnumerateArray().Select(o => o.GetDouble()).ToArray())).ToArray();
    }
}

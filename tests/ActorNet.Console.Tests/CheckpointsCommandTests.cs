using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorNet.Model;
using ActorNet.Tests;
using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary><c>actornet checkpoints list|show|export</c> on a run that <c>actornet local</c>
/// trained and checkpointed: what they print is what the run journaled and the weights it
/// ended with, and every mistake is one line on stderr with nothing written.</summary>
public sealed class CheckpointsCommandTests : IClassFixture<CheckpointsCommandTests.TrainedRun>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>150 training samples in batches of 16: 10 steps per epoch, 30 in all;
    /// checkpoints every 4 steps and at epoch ends, all kept.</summary>
    private const string Spec = """
        { "name": "ckpt", "seed": 3,
          "data": { "builtin": "circles", "samples": 200, "testFraction": 0.25, "scaling": "standardize" },
          "layers": [ { "size": 8, "activation": "tanh" }, { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy", "optimizer": { "kind": "adam", "learningRate": 0.05 },
          "batchSize": 16, "epochs": 3, "checkpoint": { "everySteps": 4, "keep": 50 } }
        """;

    private static readonly long[] Steps = [4, 8, 10, 12, 16, 20, 24, 28, 30];
    private static readonly int[] EpochsDone = [0, 0, 1, 1, 1, 2, 2, 2, 3];
    private static readonly long[] EpochEnds = [10, 20, 30];

    private const string Points = "x,y\n1,0\n0,-1\n-0.7,0.7\n0.5,0\n0,-0.5\n-0.35,0.35\n";

    private readonly TrainedRun _trained;

    public CheckpointsCommandTests(TrainedRun trained) => _trained = trained;

    /// <summary>One run shared by the tests, in a SQLite file, with the model <c>local --save</c>
    /// wrote at its end.</summary>
    public sealed class TrainedRun : IAsyncLifetime
    {
        internal Cli Cli { get; } = new();
        public string Db => Cli.PathIn("runs.db");
        public string Saved => Cli.PathIn("saved.json");
        public string RunId { get; private set; } = "";
        public double TestLoss { get; private set; }
        public double TestAccuracy { get; private set; }

        public async Task InitializeAsync()
        {
            var result = await Train(Cli, Db, Saved);
            RunId = result.GetProperty("runId").GetString()!;
            TestLoss = result.GetProperty("testLoss").GetDouble();
            TestAccuracy = result.GetProperty("testAccuracy").GetDouble();
        }

        public Task DisposeAsync()
        {
            Cli.Dispose();
            return Task.CompletedTask;
        }
    }

    private static async Task<JsonElement> Train(Cli cli, string db, string save)
    {
        var spec = cli.PathIn("spec.json");
        File.WriteAllText(spec, Spec);
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(3), "local", "--spec", spec, "--db", db, "--json", "--save", save);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout.Trim()).RootElement;
    }

    private Task<(int ExitCode, string Out, string Err)> Checkpoints(Cli cli, params string[] args) =>
        cli.RunAsync(Timeout, ["checkpoints", .. args]);

    /// <summary>Runs a command that must print exactly one JSON document on stdout.</summary>
    private static async Task<JsonElement> JsonOf(Task<(int ExitCode, string Out, string Err)> run)
    {
        var (code, stdout, stderr) = await run;
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement; // throws unless stdout is one document
    }

    // ----- list

    [Fact]
    public async Task List_shows_the_run_its_progress_and_latest_accuracy()
    {
        using var cli = new Cli();
        var runs = (await JsonOf(Checkpoints(cli, "list", "--db", _trained.Db, "--json"))).GetProperty("runs");
        var run = Assert.Single(runs.EnumerateArray());
        Assert.Equal(_trained.RunId, run.GetProperty("id").GetString());
        Assert.Equal("ckpt", run.GetProperty("name").GetString());
        Assert.Equal("completed", run.GetProperty("state").GetString());
        Assert.Equal(30, run.GetProperty("step").GetInt64());
        Assert.Equal(30, run.GetProperty("totalSteps").GetInt64());
        Assert.Equal(3, run.GetProperty("epochs").GetInt32());
        Assert.Equal(3, run.GetProperty("totalEpochs").GetInt32());
        Assert.Equal(_trained.TestAccuracy, run.GetProperty("testAccuracy").GetDouble());
        Assert.Equal(Steps.Length, run.GetProperty("checkpoints").GetInt32());
        var started = DateTimeOffset.Parse(run.GetProperty("started").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(started, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow);

        var (code, stdout, stderr) = await Checkpoints(cli, "list", "--db", _trained.Db);
        Assert.True(code == 0, stderr);
        var row = Assert.Single(stdout.Split('\n'), l => l.Contains(_trained.RunId[..8]));
        Assert.Contains("ckpt", row);
        Assert.Contains("completed", row);
        Assert.Contains("30/30", row);
        Assert.Contains("3/3", row);
        Assert.Contains(_trained.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture), row);
    }

    [Fact]
    public async Task List_with_a_run_shows_each_checkpoint_and_the_test_figures_only_at_epoch_ends()
    {
        using var cli = new Cli();
        var listed = await JsonOf(Checkpoints(cli, "list", "--run", _trained.RunId[..6], "--db", _trained.Db, "--json"));
        Assert.Equal(_trained.RunId, listed.GetProperty("run").GetString());
        var checkpoints = listed.GetProperty("checkpoints").EnumerateArray().ToArray();
        Assert.Equal(Steps, checkpoints.Select(c => c.GetProperty("step").GetInt64()));
        Assert.Equal(EpochsDone, checkpoints.Select(c => c.GetProperty("epoch").GetInt32()));
        foreach (var c in checkpoints)
        {
            var atEpochEnd = EpochEnds.Contains(c.GetProperty("step").GetInt64());
            Assert.Equal(atEpochEnd, c.GetProperty("testLoss").ValueKind == JsonValueKind.Number);
            Assert.Equal(atEpochEnd, c.GetProperty("testAccuracy").ValueKind == JsonValueKind.Number);
            Assert.True(c.GetProperty("trainLoss").GetDouble() > 0);
        }
        Assert.Equal(_trained.TestLoss, checkpoints[^1].GetProperty("testLoss").GetDouble());
        Assert.Equal(_trained.TestAccuracy, checkpoints[^1].GetProperty("testAccuracy").GetDouble());
        var times = checkpoints.Select(c => DateTimeOffset.Parse(c.GetProperty("time").GetString()!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(times.Order(), times);

        var (code, stdout, stderr) = await Checkpoints(cli, "list", "--run", _trained.RunId, "--db", _trained.Db);
        Assert.True(code == 0, stderr);
        Assert.Contains($"Run {_trained.RunId} (ckpt), completed: 9 checkpoint(s) stored", stdout);
        var rows = stdout.Split('\n').Where(l => Regex.IsMatch(l, @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")).ToArray(); // the rows: each has a time
        Assert.Equal(Steps.Length, rows.Length);
        Assert.Equal(6, rows.Count(r => r.Contains('—'))); // test loss and accuracy not measured within an epoch
    }

    [Fact]
    public async Task An_empty_database_lists_no_runs()
    {
        using var cli = new Cli();
        File.WriteAllBytes(cli.PathIn("empty.db"), []);
        var listed = await JsonOf(Checkpoints(cli, "list", "--db", "empty.db", "--json"));
        Assert.Empty(listed.GetProperty("runs").EnumerateArray());
        var (code, stdout, _) = await Checkpoints(cli, "list", "--db", "empty.db");
        Assert.Equal(0, code);
        Assert.Contains("No runs in empty.db", stdout);
    }

    // ----- show

    /// <summary>Per layer, the statistics of W and of b of a saved model's weights.</summary>
    private static (WeightStatistics Weights, WeightStatistics Biases)[] StatisticsOf(string savedModel)
    {
        var model = SavedModel.Load(savedModel);
        var layout = model.ToLayout();
        var parameters = model.ToParameters<double>();
        return layout.Layers.Select((shape, l) => WeightStatistics.OfLayer(shape, parameters[l])).ToArray();
    }

    private static void AssertStatistics(WeightStatistics expected, JsonElement shown)
    {
        Assert.Equal(expected.Count, shown.GetProperty("count").GetInt32());
        Assert.Equal(expected.Mean, shown.GetProperty("mean").GetDouble());
        Assert.Equal(expected.StandardDeviation, shown.GetProperty("standardDeviation").GetDouble());
        Assert.Equal(expected.Min, shown.GetProperty("min").GetDouble());
        Assert.Equal(expected.Max, shown.GetProperty("max").GetDouble());
        Assert.Equal(expected.L2Norm, shown.GetProperty("l2Norm").GetDouble());
    }

    [Fact]
    public async Task Show_gives_the_latest_checkpoint_and_the_statistics_of_the_weights_the_run_ended_with()
    {
        using var cli = new Cli();
        var shown = await JsonOf(Checkpoints(cli, "show", _trained.RunId, "--db", _trained.Db, "--json"));
        Assert.Equal(_trained.RunId, shown.GetProperty("run").GetString());
        Assert.Equal("completed", shown.GetProperty("state").GetString());
        Assert.Equal(30, shown.GetProperty("step").GetInt64());
        Assert.Equal(3, shown.GetProperty("epoch").GetInt32());
        Assert.Equal(_trained.TestAccuracy, shown.GetProperty("testAccuracy").GetDouble());
        var layers = shown.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(new (int, int, string?)[] { (2, 8, "tanh"), (8, 2, "softmax") },
            layers.Select(l => (l.GetProperty("inputs").GetInt32(), l.GetProperty("outputs").GetInt32(), l.GetProperty("activation").GetString())));

        // The weights local --save wrote at the end are those of the last checkpoint.
        var expected = StatisticsOf(_trained.Saved);
        for (var l = 0; l < 2; l++)
        {
            AssertStatistics(expected[l].Weights, layers[l].GetProperty("weights"));
            AssertStatistics(expected[l].Biases, layers[l].GetProperty("biases"));
        }

        var (code, stdout, stderr) = await Checkpoints(cli, "show", _trained.RunId[..8], "--db", _trained.Db);
        Assert.True(code == 0, stderr);
        Assert.Contains($"Run {_trained.RunId} (ckpt), completed", stdout);
        Assert.Contains("Checkpoint after step 30 of 30, 3 of 3 epochs done", stdout);
        Assert.Contains($"test accuracy {_trained.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture)}", stdout);
        Assert.Contains("2→8", stdout);
        Assert.Contains("softmax", stdout);
        Assert.Contains(expected[0].Weights.L2Norm.ToString("G5", CultureInfo.InvariantCulture), stdout);
    }

    [Fact]
    public async Task Show_and_export_of_an_earlier_step_agree_and_differ_from_the_end()
    {
        using var cli = new Cli();
        var shown = await JsonOf(Checkpoints(cli, "show", _trained.RunId, "--step", "12", "--db", _trained.Db, "--json"));
        Assert.Equal(12, shown.GetProperty("step").GetInt64());
        Assert.Equal(1, shown.GetProperty("epoch").GetInt32());
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("testLoss").ValueKind);

        var (code, _, stderr) = await Checkpoints(cli, "export", _trained.RunId, "--step", "12", "--db", _trained.Db, "-o", "step12.json");
        Assert.True(code == 0, stderr);
        var expected = StatisticsOf(cli.PathIn("step12.json"));
        var layers = shown.GetProperty("layers").EnumerateArray().ToArray();
        for (var l = 0; l < 2; l++)
        {
            AssertStatistics(expected[l].Weights, layers[l].GetProperty("weights"));
            AssertStatistics(expected[l].Biases, layers[l].GetProperty("biases"));
        }
        Assert.NotEqual(StatisticsOf(_trained.Saved)[0].Weights, expected[0].Weights);
    }

    // ----- export

    [Fact]
    public async Task Export_as_json_writes_what_local_save_wrote_for_the_same_weights()
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await Checkpoints(cli, "export", _trained.RunId, "--format", "json", "-o", "out/model.json", "--db", _trained.Db);
        Assert.True(code == 0, stderr);
        Assert.Contains("written to", stdout);
        Assert.Equal(File.ReadAllText(_trained.Saved), File.ReadAllText(cli.PathIn("out/model.json"))); // weights, scaling, classes and loss
        Assert.Equal(["model.json"], Directory.GetFiles(cli.PathIn("out")).Select(f => Path.GetFileName(f)));    // nothing left beside it
    }

    [Fact]
    public async Task Export_as_onnx_predicts_what_the_json_export_predicts()
    {
        using var cli = new Cli();
        File.WriteAllText(cli.PathIn("points.csv"), Points);
        foreach (var (format, file) in new[] { ("json", "m.json"), ("onnx", "m.onnx") })
        {
            var (code, _, stderr) = await Checkpoints(cli, "export", _trained.RunId, "--step", "20", "--format", format, "-o", file, "--db", _trained.Db);
            Assert.True(code == 0, stderr);
        }
        // The format follows the file's name when --format is not given.
        var (inferred, _, err) = await Checkpoints(cli, "export", _trained.RunId, "--step", "20", "-o", "inferred.onnx", "--db", _trained.Db);
        Assert.True(inferred == 0, err);
        Assert.Equal(File.ReadAllBytes(cli.PathIn("m.onnx")), File.ReadAllBytes(cli.PathIn("inferred.onnx")));

        var fromJson = (await JsonOf(cli.RunAsync(Timeout, "predict", "--model", "m.json", "--input", "points.csv", "--json"))).EnumerateArray().ToArray();
        var fromOnnx = (await JsonOf(cli.RunAsync(Timeout, "predict", "--model", "m.onnx", "--input", "points.csv", "--json"))).EnumerateArray().ToArray();
        Assert.Equal(6, fromJson.Length);
        Assert.Equal(fromJson.Select(r => r.GetProperty("name").GetString()), fromOnnx.Select(r => r.GetProperty("name").GetString()));
        for (var r = 0; r < 6; r++)
        {
            var a = fromJson[r].GetProperty("outputs").EnumerateArray().Select(o => o.GetDouble()).ToArray();
            var b = fromOnnx[r].GetProperty("outputs").EnumerateArray().Select(o => o.GetDouble()).ToArray();
            Assert.Equal(2, a.Length);
            for (var k = 0; k < 2; k++)
                Assert.True(Math.Abs(a[k] - b[k]) <= 1e-5, $"row {r} output {k}: JSON model {a[k]}, ONNX model {b[k]}");
        }
    }

    // ----- mistakes

    /// <summary>Exit code 2, one line on stderr that says <paramref name="expected"/>, nothing on stdout.</summary>
    private static void AssertRefused((int ExitCode, string Out, string Err) result, string expected)
    {
        var (code, stdout, stderr) = result;
        Assert.True(code == 2, $"exit code {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task A_missing_database_is_refused_and_not_created()
    {
        using var cli = new Cli();
        var db = cli.PathIn("nowhere/runs.db");
        AssertRefused(await Checkpoints(cli, "list", "--db", db), $"no database at {db}");
        AssertRefused(await Checkpoints(cli, "list", "--db", db, "--json"), "no database at");
        AssertRefused(await Checkpoints(cli, "show", _trained.RunId, "--db", db, "--json"), "no database at");
        AssertRefused(await Checkpoints(cli, "export", _trained.RunId, "-o", "m.json", "--db", db), "no database at");
        // The default, data/actornet.db in the working folder, is not there either.
        AssertRefused(await Checkpoints(cli, "list"), "no database at data/actornet.db");
        Assert.False(Directory.Exists(cli.PathIn("nowhere")));
        Assert.False(Directory.Exists(cli.PathIn("data")));
        Assert.False(File.Exists(cli.PathIn("m.json")));
    }

    [Fact]
    public async Task A_corrupt_database_is_refused_and_left_as_it_was()
    {
        using var cli = new Cli();
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(cli.PathIn("bad.db"), garbage);
        AssertRefused(await Checkpoints(cli, "list", "--db", "bad.db"), "cannot use the database bad.db: SQLite Error 26: 'file is not a database'");
        AssertRefused(await Checkpoints(cli, "list", "--db", "bad.db", "--json"), "file is not a database");
        AssertRefused(await Checkpoints(cli, "show", "abcd", "--db", "bad.db"), "file is not a database");
        AssertRefused(await Checkpoints(cli, "export", "abcd", "-o", "m.onnx", "--db", "bad.db"), "file is not a database");
        Assert.Equal(garbage, File.ReadAllBytes(cli.PathIn("bad.db")));
        Assert.Equal(["bad.db"], Directory.GetFiles(cli.WorkDir).Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task An_unknown_run_or_step_is_refused_and_overwrites_nothing()
    {
        using var cli = new Cli();
        var db = _trained.Db;
        AssertRefused(await Checkpoints(cli, "list", "--run", "ffffffff", "--db", db), "no run 'ffffffff'");
        AssertRefused(await Checkpoints(cli, "show", "ffffffff", "--db", db, "--json"), "no run 'ffffffff'");
        AssertRefused(await Checkpoints(cli, "show", _trained.RunId, "--step", "13", "--db", db),
            $"run {_trained.RunId} has no checkpoint at step 13 (it has: 4, 8, 10, 12, 16, 20, 24, 28, 30)");

        // An export to a file that exists leaves it alone when the run or step is wrong.
        File.WriteAllText(cli.PathIn("keep.json"), "mine");
        AssertRefused(await Checkpoints(cli, "export", "ffffffff", "-o", "keep.json", "--db", db), "no run 'ffffffff'");
        AssertRefused(await Checkpoints(cli, "export", _trained.RunId, "--step", "13", "-o", "keep.json", "--db", db), "no checkpoint at step 13");
        Assert.Equal("mine", File.ReadAllText(cli.PathIn("keep.json")));
        Assert.Equal(["keep.json"], Directory.GetFiles(cli.WorkDir).Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task A_bad_format_or_output_is_refused_before_anything_is_read_or_written()
    {
        using var cli = new Cli();
        AssertRefused(await Checkpoints(cli, "export", _trained.RunId, "--format", "xml", "-o", "m.xml", "--db", _trained.Db),
            "--format: expected json or onnx, found 'xml'");
        AssertRefused(await Checkpoints(cli, "export", _trained.RunId, "--db", _trained.Db), "-o/--output: give the file to write");
        Directory.CreateDirectory(cli.PathIn("folder"));
        AssertRefused(await Checkpoints(cli, "export", _trained.RunId, "-o", "folder", "--db", _trained.Db), "is a folder");
        Assert.Empty(Directory.GetFiles(cli.WorkDir, "*", SearchOption.AllDirectories));
    }

    // ----- both databases

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task List_show_and_export_read_a_run_from_either_database(string provider)
    {
        using var db = TestDatabase.Create(provider);
        using var cli = new Cli();
        var runId = (await Train(cli, db.Argument, cli.PathIn("saved.json"))).GetProperty("runId").GetString()!;

        var run = Assert.Single((await JsonOf(Checkpoints(cli, "list", "--db", db.Argument, "--json"))).GetProperty("runs").EnumerateArray());
        Assert.Equal(runId, run.GetProperty("id").GetString());
        Assert.Equal(30, run.GetProperty("step").GetInt64());
        var listed = await JsonOf(Checkpoints(cli, "list", "--run", runId, "--db", db.Argument, "--json"));
        Assert.Equal(Steps, listed.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("step").GetInt64()));

        var shown = await JsonOf(Checkpoints(cli, "show", runId, "--db", db.Argument, "--json"));
        var expected = StatisticsOf(cli.PathIn("saved.json"));
        var layers = shown.GetProperty("layers").EnumerateArray().ToArray();
        for (var l = 0; l < 2; l++) AssertStatistics(expected[l].Weights, layers[l].GetProperty("weights"));

        var (code, _, stderr) = await Checkpoints(cli, "export", runId, "-o", "exported.json", "--db", db.Argument);
        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllText(cli.PathIn("saved.json")), File.ReadAllText(cli.PathIn("exported.json")));
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Persistence;
using Spectre.Console;

namespace ActorNet.Cli.Commands;

/// <summary>
/// <c>actornet checkpoints list|show|export</c>: reads runs and their checkpoints straight from
/// the database (<see cref="CheckpointStore"/>), with no actor system and no cluster, and never
/// writes to it. A missing or corrupt database, an unknown run or step, a bad option: one line
/// on stderr, exit code 2, nothing written.
/// </summary>
internal static class CheckpointsCommand
{
    public static Command Create() => new("checkpoints", "Inspect stored runs and their checkpoints, and export a checkpoint as a model")
    {
        ListCommand(),
        ShowCommand(),
        ExportCommand(),
    };

    private static Argument<string> RunArgument() => new("run") { Description = "the run's id, or the start of it (at least 4 characters)" };

    private static Option<long?> StepOption() => new("--step") { Description = "the checkpoint after this many steps (default: the run's latest)" };

    private static Command ListCommand()
    {
        var run = new Option<string?>("--run") { Description = "list this run's checkpoints (its id, or the start of it) instead of the runs" };
        var db = DbOption.Create();
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of a table" };
        var command = new Command("list", "The runs in the database, newest first; with --run, the checkpoints of one run") { run, db, json };
        command.SetAction(parse => Guarded(() =>
        {
            var database = Database.Parse(parse.GetValue(db));
            var store = new CheckpointStore(database);
            if (parse.GetValue(run) is { } id) ListCheckpoints(store.Run(id), parse.GetValue(json));
            else ListRuns(store.Runs(), database.Display, parse.GetValue(json));
        }));
        return command;
    }

    private static Command ShowCommand()
    {
        var run = RunArgument();
        var step = StepOption();
        var db = DbOption.Create();
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of tables" };
        var command = new Command("show", "One checkpoint: where it is in its run, its losses, and per layer the shape and statistics of the weights and biases")
        {
            run, step, db, json,
        };
        command.SetAction(parse => Guarded(() =>
        {
            var store = new CheckpointStore(Database.Parse(parse.GetValue(db)));
            var checkpoint = store.Load(store.Run(parse.GetValue(run)!), parse.GetValue(step));
            if (parse.GetValue(json)) ShowJson(checkpoint);
            else ShowTables(checkpoint);
        }));
        return command;
    }

    private static Command ExportCommand()
    {
        var run = RunArgument();
        var step = StepOption();
        var format = new Option<string?>("--format") { Description = "json (the layout of local --save) or onnx; default: onnx for a .onnx file, else json" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "the file to write (replaced if it exists)" };
        var db = DbOption.Create();
        var command = new Command("export", "Write a checkpoint as a model that predict (JSON or ONNX) or ONNX Runtime runs")
        {
            run, step, format, output, db,
        };
        command.SetAction(parse => Guarded(() => Export(parse.GetValue(run)!, parse.GetValue(step), parse.GetValue(format), parse.GetValue(output), parse.GetValue(db))));
        return command;
    }

    /// <summary>Every failure the user can cause or fix is one line on stderr and exit code 2.</summary>
    private static int Guarded(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatabaseException or CheckpointNotFoundException or RunSpecException or ArgumentException
                                       or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Console.Error.WriteLine(e is RunSpecException spec ? $"a stored run's spec no longer reads: {spec.Errors[0]}" : e.Message);
            return 2;
        }
    }

    // ----- list

    private static void ListRuns(IReadOnlyList<StoredRun> runs, string database, bool json)
    {
        if (json)
        {
            WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("runs");
                foreach (var r in runs)
                {
                    w.WriteStartObject();
                    w.WriteString("id", r.RunId);
                    w.WriteString("name", r.Spec.Name);
                    w.WriteString("state", r.State);
                    w.WriteNumber("step", RunProgress.Steps(r));
                    NumberOrNull(w, "totalSteps", RunProgress.TotalSteps(r));
                    w.WriteNumber("epochs", r.Epochs.Count);
                    w.WriteNumber("totalEpochs", r.Spec.Epochs);
                    NumberOrNull(w, "testAccuracy", r.Epochs.Count > 0 ? r.Epochs[^1].TestAccuracy : double.NaN);
                    w.WriteNumber("checkpoints", r.Checkpoints.Count);
                    w.WriteString("started", Started(r));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        if (runs.Count == 0)
        {
            Console.Out.WriteLine($"No runs in {database}.");
            return;
        }
        var table = new Table().AddColumns("run", "name", "state", "steps", "epochs", "test accuracy", "checkpoints", "started");
        foreach (var c in new[] { 3, 4, 5, 6 }) table.Columns[c].RightAligned();
        foreach (var r in runs)
            table.AddRow(Cell(r.RunId.ToString()[..8]), Cell(r.Spec.Name), Cell(r.State),
                Cell($"{RunProgress.Steps(r):N0}/{(RunProgress.TotalSteps(r) is { } total ? total.ToString("N0", CultureInfo.InvariantCulture) : "?")}"),
                Cell($"{r.Epochs.Count}/{r.Spec.Epochs}"),
                Cell(Percent(r.Epochs.Count > 0 ? r.Epochs[^1].TestAccuracy : double.NaN)),
                Cell(r.Checkpoints.Count.ToString(CultureInfo.InvariantCulture)),
                Cell(Time(DateTimeOffset.FromUnixTimeMilliseconds(r.Started.AtUnixMs))));
        Write(table);
    }

    private static void ListCheckpoints(StoredRun run, bool json)
    {
        if (json)
        {
            WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("run", run.RunId);
                w.WriteString("name", run.Spec.Name);
                w.WriteString("state", run.State);
                w.WriteStartArray("checkpoints");
                foreach (var c in run.Checkpoints)
                {
                    w.WriteStartObject();
                    WriteCheckpoint(w, c);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        Console.Out.WriteLine($"Run {run.RunId} ({run.Spec.Name}), {run.State}: {run.Checkpoints.Count} checkpoint(s) stored");
        if (run.Checkpoints.Count == 0) return;
        var table = new Table().AddColumns("step", "epochs", "time", "train loss", "test loss", "test accuracy");
        foreach (var c in new[] { 0, 1, 3, 4, 5 }) table.Columns[c].RightAligned();
        foreach (var c in run.Checkpoints)
            table.AddRow(Cell(c.Step.ToString("N0", CultureInfo.InvariantCulture)), Cell(c.Epoch.ToString(CultureInfo.InvariantCulture)), Cell(Time(c.At)),
                Cell(Loss(c.TrainLoss)), Cell(Loss(c.TestLoss)), Cell(Percent(c.TestAccuracy)));
        Write(table);
    }

    // ----- show

    private static void ShowJson(LoadedCheckpoint checkpoint)
    {
        var run = checkpoint.Run;
        WriteJson(w =>
        {
            w.WriteStartObject();
            w.WriteString("run", run.RunId);
            w.WriteString("name", run.Spec.Name);
            w.WriteString("state", run.State);
            WriteCheckpoint(w, checkpoint.Info);
            w.WriteStartArray("layers");
            for (var l = 0; l < run.Layout.Layers.Count; l++)
            {
                var shape = run.Layout.Layers[l];
                var (weights, biases) = WeightStatistics.OfLayer(shape, checkpoint.Parameters[l]);
                w.WriteStartObject();
                w.WriteNumber("layer", l);
                w.WriteNumber("inputs", shape.Inputs);
                w.WriteNumber("outputs", shape.Outputs);
                w.WriteString("activation", Activations.Name(shape.Activation));
                WriteStatistics(w, "weights", weights);
                WriteStatistics(w, "biases", biases);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void ShowTables(LoadedCheckpoint checkpoint)
    {
        var (run, c) = (checkpoint.Run, checkpoint.Info);
        var total = RunProgress.TotalSteps(run);
        var stdout = Console.Out;
        stdout.WriteLine($"Run {run.RunId} ({run.Spec.Name}), {run.State}");
        stdout.WriteLine($"Checkpoint after step {c.Step:N0}{(total is { } t ? $" of {t:N0}" : "")}, {c.Epoch} of {run.Spec.Epochs} epochs done, taken {Time(c.At)}");
        stdout.WriteLine($"train loss {Loss(c.TrainLoss)}, test loss {Loss(c.TestLoss)}, test accuracy {Percent(c.TestAccuracy)}");
        var table = new Table().AddColumns("layer", "shape", "activation", "", "mean", "std", "min", "max", "L2 norm");
        foreach (var column in new[] { 0, 4, 5, 6, 7, 8 }) table.Columns[column].RightAligned();
        for (var l = 0; l < run.Layout.Layers.Count; l++)
        {
            var shape = run.Layout.Layers[l];
            var (weights, biases) = WeightStatistics.OfLayer(shape, checkpoint.Parameters[l]);
            table.AddRow([Cell(l.ToString(CultureInfo.InvariantCulture)), Cell($"{shape.Inputs}→{shape.Outputs}"), Cell(Activations.Name(shape.Activation)), Cell("W"), .. StatisticsCells(weights)]);
            table.AddRow([Cell(""), Cell(""), Cell(""), Cell("b"), .. StatisticsCells(biases)]);
        }
        Write(table);
    }

    private static Markup[] StatisticsCells(WeightStatistics s) =>
        [Cell(Number(s.Mean)), Cell(Number(s.StandardDeviation)), Cell(Number(s.Min)), Cell(Number(s.Max)), Cell(Number(s.L2Norm))];

    private static void WriteStatistics(Utf8JsonWriter w, string name, WeightStatistics s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", s.Count);
        NumberOrNull(w, "mean", s.Mean);
        NumberOrNull(w, "standardDeviation", s.StandardDeviation);
        NumberOrNull(w, "min", s.Min);
        NumberOrNull(w, "max", s.Max);
        NumberOrNull(w, "l2Norm", s.L2Norm);
        w.WriteEndObject();
    }

    // ----- export

    private static void Export(string runId, long? step, string? format, FileInfo? output, string? db)
    {
        // Everything is checked and the model built before the file is touched.
        if (output is null) throw new ArgumentException("-o/--output: give the file to write");
        if (Directory.Exists(output.FullName)) throw new ArgumentException($"-o/--output: {output.FullName} is a folder; give a file");
        var onnx = (format?.ToLowerInvariant() ?? (output.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase) ? "onnx" : "json")) switch
        {
            "json" => false,
            "onnx" => true,
            _ => throw new ArgumentException($"--format: expected json or onnx, found '{format}'"),
        };
        var store = new CheckpointStore(Database.Parse(db));
        var checkpoint = store.Load(store.Run(runId), step);
        var model = ToModel(checkpoint);
        // Both write beside the file and then move it in place: never half a model under its name.
        if (onnx) OnnxExport.Save(model, output.FullName); // an activation ONNX has no operator for throws before writing
        else model.Save(output.FullName);
        var (run, c) = (checkpoint.Run, checkpoint.Info);
        Console.Out.WriteLine($"Checkpoint after step {c.Step:N0} of run {run.RunId} ({run.Spec.Name}) written to {output.FullName} as {(onnx ? "ONNX" : "JSON")}");
    }

    /// <summary>The model <c>local --save</c> writes for the same weights: the input scaling and
    /// class names the run journaled when it started, and the spec's loss.</summary>
    internal static SavedModel ToModel(LoadedCheckpoint checkpoint)
    {
        var (run, started) = (checkpoint.Run, checkpoint.Run.Started);
        Scaler? scaler = null;
        if (started.ScaleOffsets.Length > 0)
        {
            if (!Scaler.TryParse(run.Spec.Data.Scaling, out var kind))
                throw new DatabaseException($"run {run.RunId}: its spec's scaling '{run.Spec.Data.Scaling}' is none this version knows");
            scaler = Scaler.FromParameters(kind, started.ScaleOffsets, started.ScaleDivisors);
        }
        var classes = started.ClassNames.Count > 0 ? started.ClassNames : null;
        return SavedModel.From(run.Layout, checkpoint.Parameters, scaler, classes, run.Spec.Loss);
    }

    // ----- output

    private static void WriteCheckpoint(Utf8JsonWriter w, StoredCheckpoint c)
    {
        w.WriteNumber("step", c.Step);
        w.WriteNumber("epoch", c.Epoch);
        w.WriteString("time", c.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        NumberOrNull(w, "trainLoss", c.TrainLoss);
        NumberOrNull(w, "testLoss", c.TestLoss);
        NumberOrNull(w, "testAccuracy", c.TestAccuracy);
    }

    private static string Started(StoredRun r) =>
        DateTimeOffset.FromUnixTimeMilliseconds(r.Started.AtUnixMs).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>JSON has no NaN or infinity: a figure not measured (or diverged) is null.</summary>
    private static void NumberOrNull(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    private static void NumberOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>One JSON document on stdout, then a newline.</summary>
    private static void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout)) write(w);
        stdout.WriteByte((byte)'\n');
    }

    /// <summary>Tables at their own width when stdout is a file or a pipe (Spectre would
    /// otherwise wrap them at 80 columns), at the terminal's width otherwise.</summary>
    private static void Write(Table table)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;
        AnsiConsole.Write(table);
    }

    private static Markup Cell(string text) => new(Markup.Escape(text));

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private const string NotMeasured = "—";

    private static string Loss(double value) => double.IsNaN(value) ? NotMeasured : value.ToString("F4", CultureInfo.InvariantCulture);

    private static string Percent(double value) => double.IsNaN(value) ? NotMeasured : value.ToString("P2", CultureInfo.InvariantCulture);

    private static string Number(double value) => double.IsNaN(value) ? NotMeasured : value.ToString("G5", CultureInfo.InvariantCulture);
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ActorNet.Data;
using ActorNet.Hosting;
using ActorNet.Actors;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;
using Spectre.Console;

namespace ActorNet.Cli.Commands;

/// <summary><c>actornet local --spec FILE</c>: trains in this process with the same run, shard,
/// replica, layer and group actors a cluster uses.</summary>
internal static class LocalCommand
{
    public static Command Create()
    {
        var spec = new Option<FileInfo?>("--spec") { Description = "run spec JSON file (with --resume: the spec the stored run is continued with; default its own)" };
        var workers = new Option<int>("--workers") { Description = "model replicas that share each batch (data parallelism)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print only a final JSON line with the results" };
        var save = new Option<FileInfo?>("--save") { Description = "write the trained model (weights, input scaling, class names) to this JSON file, or as ONNX to a .onnx file" };
        var plot = new Option<FileInfo?>("--plot") { Description = "write the decision regions to this PNG (2-D data only)" };
        var db = DbOption.Create();
        var resume = new Option<string?>("--resume") { Description = "continue this stored run (its id, or the start of it) from its last checkpoint" };
        var command = new Command("local", "Train a run spec in this process; the run is journaled and checkpointed in the database") { spec, workers, json, save, plot, db, resume };
        command.SetAction((parse, cancellation) => RunAsync(
            parse.GetValue(spec), parse.GetValue(workers), parse.GetValue(json), parse.GetValue(save), parse.GetValue(plot),
            parse.GetValue(db), parse.GetValue(resume), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo? specFile, int workers, bool json, FileInfo? save, FileInfo? plot, string? dbArgument, string? resume,
        CancellationToken cancellation)
    {
        RunSpec spec;
        DataSet train, test;
        Scaler? scaler;
        Database database;
        Guid? runId = null;
        string? baseDirectory;
        CoordinatorLock? coordinatorLock = null;
        try
        {
            if (workers < 1) throw new ArgumentException($"--workers: must be at least 1, found {workers}");
            if (specFile is null && resume is null) throw new ArgumentException("--spec: give a run spec file (or --resume RUN to continue a stored run)");
            database = Database.Parse(dbArgument);
            baseDirectory = specFile?.DirectoryName;
            if (resume is not null)
            {
                var store = new CheckpointStore(database);
                var stored = store.Run(resume);
                if (stored.Ended is { Outcome: not RunEnd.Cancelled } ended)
                    throw new ArgumentException($"--resume: run {stored.RunId} has already {stored.State} (at step {ended.Step}); only a cancelled or interrupted run continues");
                // A coordinator resumes the runs it accepted that have not ended, and both would
                // write the run's journal: such a run is continued here only under the coordinators'
                // lock, which keeps a coordinator from starting on this database meanwhile.
                if (store.AdmittedByCoordinator(stored.RunId)
                    && (coordinatorLock = CoordinatorLock.TryAcquire(database)) is null && stored.Ended is null)
                    throw new ArgumentException($"--resume: run {stored.RunId} was submitted to a coordinator, and a coordinator is using {database.Display}: it goes on with the run itself " +
                                                $"(follow it with GET /api/runs/{stored.RunId}); stop that coordinator to continue the run here");
                runId = stored.RunId;
                baseDirectory ??= stored.Started.BaseDirectory;
                spec = specFile is null ? stored.Spec : RunSpecReader.Load(specFile.FullName);
            }
            else spec = RunSpecReader.Load(specFile!.FullName);
            (train, test, _, scaler) = DataCache.Get(spec, baseDirectory);
            if (plot is not null && train.FeatureCount != 2)
                throw new ArgumentException($"--plot: decision regions need 2-D data, but {train.Name} has {train.FeatureCount} features");
            database.PrepareForWriting();
        }
        catch (Exception e) when (e is RunSpecException or DataFormatException or ArgumentException or IOException or DatabaseException or CheckpointNotFoundException)
        {
            coordinatorLock?.Dispose();
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        using var heldUntilTheEnd = coordinatorLock;

        var result = json ? ResultOutput.Reserve() : Console.Out;
        NodeHost node;
        try
        {
            // The node's other settings (ACTORNET__LOGLEVEL, …) come from the environment; its database is --db's.
            node = await NodeHost.StartAsync(NodeRole.InProcess("local", journals: true), [new("ActorNet:Db", database.ConnectionString)], cancellation: cancellation);
        }
        catch (NodeSettingsException e)
        {
            return NodeStartup.Refuse("local", e);
        }
        await using var stopNode = node;
        var system = node.System;
        RunHandle run;
        try
        {
            run = LocalTraining.Start(system, spec, baseDirectory, workers, storage: RunStorage.Sql, runId: runId);
            if (!json)
                AnsiConsole.MarkupLine($"Run [bold]{run.RunId}[/]{(runId is null ? "" : " (resumed)")}, checkpointed in {Markup.Escape(database.Display)}");
        }
        catch (RunSpecException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        // Ctrl+C: finish the step in progress, then stop cleanly with what has been learned.
        await using var stopOnCancel = cancellation.Register(run.Stop);
        // Resuming a coordinator's run on PostgreSQL: if the lock's session is lost and a
        // coordinator takes the lock meanwhile, that coordinator resumes the run too; stop here.
        string? lockLost = null;
        coordinatorLock?.Watch(TimeSpan.FromSeconds(5), notice: problem => Console.Error.WriteLine($"local: {problem}"), lost: problem =>
        {
            lockLost = problem;
            run.Stop();
        });

        RunCompleted done;
        try
        {
            done = json ? await run.WaitAsync() : await WatchAsync(run, spec, train);
        }
        catch (RunFailedException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        if (lockLost is not null)
        {
            Console.Error.WriteLine($"local: {lockLost}");
            return 1;
        }

        var layout = ModelLayout.From(spec, train.FeatureCount);
        save?.Directory?.Create();
        if (save is not null)
        {
            var model = SavedModel.From(layout, done.Parameters, scaler, train.ClassNames, spec.Loss);
            if (IsOnnx(save)) OnnxExport.Save(model, save.FullName);
            else model.Save(save.FullName);
        }
        if (plot is not null) DecisionPlot.Save(plot.FullName, layout, done.Parameters, test, $"{spec.Name}: test set");

        var last = done.Epochs.Count > 0 ? done.Epochs[^1] : null;
        if (json)
        {
            var totalSeconds = done.Epochs.Sum(e => 1.0 / e.SamplesPerSecond * train.Count);
            result.WriteLine(JsonSerializer.Serialize(new
            {
                epochs = done.Epochs.Count,
                trainLoss = last?.TrainLoss,
                testLoss = last?.TestLoss,
                testAccuracy = last?.TestAccuracy,
                samplesPerSecond = totalSeconds > 0 ? done.Epochs.Count * train.Count / totalSeconds : (double?)null,
                outcome = done.Outcome.ToString().ToLowerInvariant(),
                runId = run.RunId,
            }));
        }
        else
        {
            AnsiConsole.MarkupLine(done.Outcome == RunOutcome.Cancelled
                ? $"[yellow]Stopped[/] after {done.Steps:N0} steps ({done.Epochs.Count} full epochs)."
                : $"Done: {done.Epochs.Count} epochs, {done.Steps:N0} steps.");
            if (save is not null) AnsiConsole.MarkupLine($"Model written to [bold]{Markup.Escape(save.FullName)}[/]");
            if (plot is not null) AnsiConsole.MarkupLine($"Decision regions drawn in [bold]{Markup.Escape(plot.FullName)}[/]");
        }
        return done.Outcome == RunOutcome.Cancelled ? 130 : 0;
    }

    private static bool IsOnnx(FileInfo file) => file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>A progress bar per epoch (one for the whole run when there are many), each
    /// ending with the epoch's losses and accuracy.</summary>
    private static async Task<RunCompleted> WatchAsync(RunHandle run, RunSpec spec, DataSet train)
    {
        AnsiConsole.MarkupLine($"Training [bold]{Markup.Escape(spec.Name)}[/]: {train.Count:N0} samples of {train.FeatureCount} features, {spec.Epochs} epochs of batch {spec.BatchSize}");
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Not a terminal (a pipe, a log file): one plain line per epoch instead of live bars.
            return await run.WaitAsync(e =>
            {
                if (e is EpochCompleted ep) Console.Out.WriteLine(Describe(ep, spec));
            });
        }
        var perEpoch = spec.Epochs <= 200;
        RunCompleted? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? task = null;
                result = await run.WaitAsync(e =>
                {
                    switch (e)
                    {
                        case StepCompleted s:
                            task ??= ctx.AddTask(perEpoch ? $"epoch {s.Epoch}/{spec.Epochs}" : $"{spec.Epochs} epochs",
                                maxValue: perEpoch ? s.StepsPerEpoch : (double)s.StepsPerEpoch * spec.Epochs);
                            task.Increment(1);
                            break;
                        case EpochCompleted ep when perEpoch && task is not null:
                            task.Description = Describe(ep, spec);
                            task.StopTask();
                            task = null;
                            break;
                        case EpochCompleted ep when task is not null:
                            task.Description = Describe(ep, spec);
                            break;
                    }
                });
                task?.StopTask();
            });
        return result!;
    }

    private static string Describe(EpochCompleted e, RunSpec spec) =>
        $"epoch {e.Epoch}/{spec.Epochs}  train loss {e.TrainLoss:F4}  test loss {e.TestLoss:F4}  test accuracy {e.TestAccuracy:P2}  {e.SamplesPerSecond:N0} samples/s";
}

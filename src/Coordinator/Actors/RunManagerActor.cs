using System.Numerics;
using ActorNet.Actors;
using ActorNet.Coordinator.Runs;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorNet.Coordinator.Actors;

/// <summary>API → manager: start this run spec; answered by <see cref="RunAccepted"/> or <see cref="RunRejected"/>.</summary>
/// <param name="MinWorkers">replicas the first step waits for</param>
public sealed record SubmitRun(string SpecJson, int MinWorkers);

public sealed record RunAccepted(Guid RunId);

public sealed record RunRejected(IReadOnlyList<string> Errors);

public sealed record GetRuns
{
    public static readonly GetRuns Instance = new();
}

public sealed record CurrentRuns(IReadOnlyList<RunStatus> Runs);

public sealed record GetRun(Guid RunId);

public sealed record CurrentRun(RunStatus? Run);

/// <summary>API → manager: stop a run after its step in progress; answered with <see cref="CurrentRun"/>.</summary>
public sealed record CancelRun(Guid RunId);

/// <summary>
/// The coordinator's runs: validates and starts submitted specs (loading their data off the
/// actor's thread), tells running runs about workers as they appear, and keeps every run's
/// status from its events for the API.
/// <para>
/// Persistent (id "runs"): it journals every run it accepts and every run's end, with the run's
/// last figures (so that the API shows them after a restart too). A coordinator
/// started again on the same database starts the runs that had not ended, under their ids; each
/// recovers from its own last checkpoint and waits for its workers, which rejoin by themselves.
/// </para>
/// </summary>
public sealed class RunManagerActor : ReceivePersistentActor
{
    /// <param name="storage">journal and snapshot plugins for this actor and the runs</param>
    /// <param name="maxRunBytes">most memory one run may need (<see cref="RunFootprint"/>); default four fifths of what the process may use</param>
    public static Props Props(RunStorage storage, long? maxRunBytes = null) =>
        Akka.Actor.Props.Create(() => new RunManagerActor(storage, maxRunBytes ?? RunFootprint.DefaultLimitBytes));

    /// <summary>The setting that holds the limit, as a refusal names it.</summary>
    public const string MaxRunBytesSetting = "ActorNet:MaxRunBytes (--max-run-bytes, ACTORNET__MAXRUNBYTES)";

    private readonly RunBook _book = new();
    private readonly Dictionary<Guid, IActorRef> _runs = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunStorage _storage;
    private readonly long _maxRunBytes;
    private string? _lastCrash; // the exception a run actor was stopped for, until its Terminated comes
    private readonly Dictionary<Guid, RunAdmitted> _unfinished = [];
    private IReadOnlyList<IActorRef> _workers = [];

    public RunManagerActor(RunStorage storage, long maxRunBytes)
    {
        _storage = storage;
        _maxRunBytes = maxRunBytes;
        JournalPluginId = storage.JournalPluginId;
        SnapshotPluginId = storage.SnapshotPluginId;

        Recover<RunAdmitted>(e =>
        {
            _unfinished[e.RunId] = e;
            _book.Submitted(e.RunId, SpecName(e.SpecJson), 0, DateTimeOffset.FromUnixTimeMilliseconds(e.AtUnixMs));
        });
        Recover<RunSummarized>(_book.Summarized);
        Recover<RunClosed>(e =>
        {
            _unfinished.Remove(e.RunId);
            _book.Closed(e.RunId, e.Outcome, e.Reason);
        });
        Recover<RecoveryCompleted>(_ => ResumeUnfinished());

        Command<SubmitRun>(HandleSubmit);
        Command<DataReady>(HandleDataReady);
        Command<WorkerAvailable>(HandleWorker);
        Command<GetRuns>(_ => Sender.Tell(new CurrentRuns(_book.All())));
        Command<GetRun>(m => Sender.Tell(new CurrentRun(_book.Get(m.RunId))));
        Command<CancelRun>(HandleCancel);
        Command<Terminated>(HandleTerminated);
        Command<RunCompleted>(e => Close(e, e.RunId, e.Outcome == RunOutcome.Completed ? RunEnd.Completed : RunEnd.Cancelled, ""));
        Command<RunFailed>(e => Close(e, e.RunId, RunEnd.Failed, e.Reason));
        Command<IActorNetMessage>(e => _book.Apply(e)); // the runs' other events
    }

    public override string PersistenceId => ActorNet.Persistence.CheckpointStore.CoordinatorRunsId;

    protected override void PreStart() => Context.ActorOf(WorkerDirectoryActor.Props(Self), "workers");

    /// <summary>A run actor that throws fails alone: it is stopped, never restarted (a restart
    /// would replay it into the same fault), and its end is journaled when it terminates (see
    /// HandleTerminated), so that a coordinator started again does not start it either. Other
    /// runs go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        var cause = e.GetBaseException();
        _lastCrash = $"{cause.GetType().Name}: {cause.Message}";
        _log.Error(e, "A run actor failed");
        return Directive.Stop;
    });

    /// <summary>A worker left, or a run actor stopped: after its end (its RunCompleted or RunFailed
    /// came first and closed it), or because it threw.</summary>
    private void HandleTerminated(Terminated t)
    {
        _workers = _workers.Where(w => !w.Equals(t.ActorRef)).ToArray();
        foreach (var id in _runs.Where(r => r.Value.Equals(t.ActorRef)).Select(r => r.Key).ToArray())
        {
            _runs.Remove(id);
            if (_unfinished.ContainsKey(id) && _book.IsActive(id))
                FailAlone(id, $"the run stopped unexpectedly: {_lastCrash ?? "no reason given"}");
        }
        _lastCrash = null;
    }

    /// <summary>Ends a run that cannot start or go on as failed, journaled, touching no other run.</summary>
    private void FailAlone(Guid runId, string reason)
    {
        _log.Error("Run {RunId} failed: {Reason}", runId, reason);
        _runs.Remove(runId);
        Close(new RunFailed(runId, _book.Get(runId)?.Step ?? 0, reason), runId, RunEnd.Failed, reason);
    }

    private void Close(IActorNetMessage e, Guid runId, RunEnd outcome, string reason)
    {
        _book.Apply(e);
        if (!_unfinished.ContainsKey(runId)) return;
        // An unfinished run is always in the book: both are filled from the same RunAdmitted.
        PersistAll<IActorNetMessage>([_book.Summary(runId), new RunClosed(runId, outcome, reason)], stored =>
        {
            if (stored is RunClosed c) _unfinished.Remove(c.RunId);
        });
    }

    /// <summary>Starts again, under their ids, the runs this coordinator had accepted and that had not ended.</summary>
    private void ResumeUnfinished()
    {
        foreach (var admitted in _unfinished.Values.ToArray())
        {
            _log.Info("Run {RunId} had not ended: resuming it from its last checkpoint", admitted.RunId);
            RunSpec spec;
            try
            {
                spec = RunSpecReader.Parse(admitted.SpecJson, $"run {admitted.RunId}", "run");
            }
            catch (RunSpecException e)
            {
                FailAlone(admitted.RunId, $"cannot resume: its journaled spec is not valid: {string.Join("; ", e.Errors)}");
                continue;
            }
            LoadData(spec, admitted.MinWorkers, Self, admitted.RunId);
        }
    }

    private static string SpecName(string specJson)
    {
        try { return RunSpecReader.Parse(specJson, "spec", "run").Name; }
        catch (RunSpecException) { return "run"; }
    }

    private void HandleSubmit(SubmitRun m)
    {
        RunSpec spec;
        try
        {
            spec = RunSpecReader.Parse(m.SpecJson, "spec", "run");
        }
        catch (RunSpecException e)
        {
            Sender.Tell(new RunRejected(e.Errors));
            return;
        }
        if (m.MinWorkers < 1)
        {
            Sender.Tell(new RunRejected([$"minWorkers: must be at least 1, found {m.MinWorkers}"]));
            return;
        }
        LoadData(spec, m.MinWorkers, Sender, resumeId: null);
    }

    /// <summary>Loading a real data set takes seconds: off the actor's thread, so status queries stay quick.</summary>
    private void LoadData(RunSpec spec, int minWorkers, IActorRef replyTo, Guid? resumeId) =>
        Task.Run(() =>
        {
            try
            {
                var data = DataCache.Get(spec, baseDirectory: null);
                return new DataReady(spec, minWorkers, data, Batches.CheckOutputs(data.Train, spec.Layers[^1].Size), replyTo, resumeId);
            }
            catch (Exception e) when (e is DataFormatException or IOException or ArgumentException)
            {
                return new DataReady(spec, minWorkers, null, $"data: {e.Message}", replyTo, resumeId);
            }
        }).PipeTo(Self);

    private void HandleDataReady(DataReady m)
    {
        if (m.Data is null || m.Problem is not null)
        {
            if (m.ResumeId is { } lost)
            {
                // The data a stored run trained on cannot be loaded now: it stays stored, not running.
                _log.Error("Run {RunId} cannot resume: {Problem}", lost, m.Problem ?? "data: could not be loaded");
                _book.Apply(new RunFailed(lost, 0, $"cannot resume: {m.Problem ?? "data: could not be loaded"}"));
                return;
            }
            m.ReplyTo.Tell(new RunRejected([m.Problem ?? "data: could not be loaded"]));
            return;
        }
        var tooBig = RunFootprint.Problems(m.Spec, m.Data.Train.FeatureCount, _maxRunBytes, MaxRunBytesSetting);
        if (m.ResumeId is { } id)
        {
            if (tooBig.Count > 0) FailAlone(id, "cannot resume: " + string.Join("; ", tooBig));
            else StartRun(id, m);
            return;
        }
        if (tooBig.Count > 0)
        {
            m.ReplyTo.Tell(new RunRejected(tooBig));
            return;
        }
        var runId = Guid.NewGuid();
        Persist(new RunAdmitted(runId, RunSpecWriter.ToJson(m.Spec), m.MinWorkers, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), admitted =>
        {
            _unfinished[runId] = admitted;
            _book.Submitted(runId, m.Spec.Name, m.Spec.Epochs, DateTimeOffset.FromUnixTimeMilliseconds(admitted.AtUnixMs)); // as a restart will show it
            _log.Info("Run {RunId} ({Name}) accepted; {Workers} worker(s) known", runId, m.Spec.Name, _workers.Count);
            StartRun(runId, m);
            m.ReplyTo.Tell(new RunAccepted(runId));
        });
    }

    private void StartRun(Guid runId, DataReady m)
    {
        var layout = ModelLayout.From(m.Spec, m.Data!.Train.FeatureCount);
        IActorRef run;
        try
        {
            run = m.Spec.Precision == Precision.Float64 ? Start<double>() : Start<float>();
        }
        catch (Exception e) when (e is OverflowException or OutOfMemoryException or InvalidOperationException or ArgumentException)
        {
            // Its initial parameters could not be made: this run fails, the manager goes on.
            FailAlone(runId, $"cannot start: {e.Message}");
            return;
        }
        Context.Watch(run);
        _runs[runId] = run;
        _book.Epochs(runId, m.Spec.Epochs);
        if (m.MinWorkers > _workers.Count)
            _book.Note(runId, $"waits for {m.MinWorkers} workers, {_workers.Count} in the cluster now: start more, or submit it with a lower minWorkers");

        IActorRef Start<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            Context.ActorOf(TrainingRunActor<T>.Props(new RunSetup<T>(runId, m.Spec, null, layout, m.Data, layout.InitialParameters<T>(m.Spec),
                _workers, Trace: false, Listener: Self, FixedWorkers: false, MinWorkers: m.MinWorkers, Storage: _storage)), $"run-{runId:N}");
    }

    private void HandleWorker(WorkerAvailable m)
    {
        _workers = [.. _workers.Where(w => !w.Equals(m.Worker)), m.Worker];
        Context.Watch(m.Worker);
        foreach (var (id, run) in _runs)
            if (_book.IsActive(id)) run.Tell(new AddWorker(m.Worker));
    }

    private void HandleCancel(CancelRun m)
    {
        if (_runs.TryGetValue(m.RunId, out var run)) run.Tell(new StopRun(m.RunId));
        Sender.Tell(new CurrentRun(_book.Get(m.RunId)));
    }

    /// <param name="ResumeId">a stored run being resumed (null: a new submission)</param>
    private sealed record DataReady(RunSpec Spec, int MinWorkers, DataCache.Entry? Data, string? Problem, IActorRef ReplyTo, Guid? ResumeId);
}

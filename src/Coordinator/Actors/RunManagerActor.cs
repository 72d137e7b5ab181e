using System.Numerics;
using ActorNet.Actors;
using ActorNet.Coordinator.Runs;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;

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
/// </summary>
public sealed class RunManagerActor : ReceiveActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new RunManagerActor());

    private readonly RunBook _book = new();
    private readonly Dictionary<Guid, IActorRef> _runs = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyList<IActorRef> _workers = [];

    public RunManagerActor()
    {
        Receive<SubmitRun>(HandleSubmit);
        Receive<DataReady>(HandleDataReady);
        Receive<WorkerAvailable>(HandleWorker);
        Receive<GetRuns>(_ => Sender.Tell(new CurrentRuns(_book.All())));
        Receive<GetRun>(m => Sender.Tell(new CurrentRun(_book.Get(m.RunId))));
        Receive<CancelRun>(HandleCancel);
        Receive<Terminated>(t =>
        {
            _workers = _workers.Where(w => !w.Equals(t.ActorRef)).ToArray();
            foreach (var id in _runs.Where(r => r.Value.Equals(t.ActorRef)).Select(r => r.Key).ToArray()) _runs.Remove(id);
        });
        Receive<IActorNetMessage>(e => _book.Apply(e)); // the runs' events
    }

    protected override void PreStart() => Context.ActorOf(WorkerDirectoryActor.Props(Self), "workers");

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
        var replyTo = Sender;
        // Loading a real data set takes seconds: off the actor's thread, so status queries stay quick.
        Task.Run(() =>
        {
            try
            {
                var data = DataCache.Get(spec.Data, spec.Seed, baseDirectory: null);
                return new DataReady(spec, m.MinWorkers, data, Batches.CheckOutputs(data.Train, spec.Layers[^1].Size), replyTo);
            }
            catch (Exception e) when (e is DataFormatException or IOException or ArgumentException)
            {
                return new DataReady(spec, m.MinWorkers, null, $"data: {e.Message}", replyTo);
            }
        }).PipeTo(Self);
    }

    private void HandleDataReady(DataReady m)
    {
        if (m.Data is null || m.Problem is not null)
        {
            m.ReplyTo.Tell(new RunRejected([m.Problem ?? "data: could not be loaded"]));
            return;
        }
        var runId = Guid.NewGuid();
        var layout = ModelLayout.From(m.Spec, m.Data.Train.FeatureCount);
        var run = m.Spec.Precision == Precision.Float64 ? Start<double>() : Start<float>();
        Context.Watch(run);
        _runs[runId] = run;
        _book.Submitted(runId, m.Spec.Name, m.Spec.Epochs, DateTimeOffset.UtcNow);
        _log.Info("Run {RunId} ({Name}) accepted; {Workers} worker(s) known", runId, m.Spec.Name, _workers.Count);
        m.ReplyTo.Tell(new RunAccepted(runId));

        IActorRef Start<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            Context.ActorOf(TrainingRunActor<T>.Props(new RunSetup<T>(runId, m.Spec, null, layout, m.Data, layout.InitialParameters<T>(m.Spec),
                _workers, Trace: false, Listener: Self, FixedWorkers: false, MinWorkers: m.MinWorkers)), $"run-{runId:N}");
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

    private sealed record DataReady(RunSpec Spec, int MinWorkers, DataCache.Entry? Data, string? Problem, IActorRef ReplyTo);
}

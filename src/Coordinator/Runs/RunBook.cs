using ActorNet.Protocol;

namespace ActorNet.Coordinator.Runs;

/// <summary>What the API shows of a run.</summary>
/// <param name="State">waiting (for workers), running, completed, cancelled or failed</param>
/// <param name="Events">notable events: workers left out and why, the failure</param>
public sealed record RunStatus(
    Guid Id, string Name, string State, DateTimeOffset Submitted,
    int Epoch, int Epochs, long Step, long StepsPerEpoch,
    double? TrainLoss, double? TestLoss, double? TestAccuracy, double? SamplesPerSecond,
    int Workers, IReadOnlyList<string> Events, string? Error);

/// <summary>
/// The coordinator's record of every run it was given, kept up to date from the runs'
/// events. Plain class: the run manager actor is its shell, tests call it directly.
/// </summary>
public sealed class RunBook
{
    private readonly Dictionary<Guid, RunStatus> _runs = [];
    private readonly List<Guid> _order = [];

    public void Submitted(Guid id, string name, int epochs, DateTimeOffset at)
    {
        _runs[id] = new RunStatus(id, name, "waiting", at, 0, epochs, 0, 0, null, null, null, null, 0, [], null);
        _order.Add(id);
    }

    /// <summary>The run's length in epochs (known once its spec is read).</summary>
    public void Epochs(Guid id, int epochs)
    {
        if (_runs.TryGetValue(id, out var r)) _runs[id] = r with { Epochs = epochs };
    }

    /// <summary>A run that ended before this coordinator started (from its journal).</summary>
    public void Closed(Guid id, RunEnd outcome, string reason)
    {
        if (!_runs.TryGetValue(id, out var r)) return;
        _runs[id] = r with
        {
            State = outcome switch { RunEnd.Completed => "completed", RunEnd.Cancelled => "cancelled", _ => "failed" },
            Error = outcome == RunEnd.Failed ? reason : null,
        };
    }

    /// <summary>What to journal of a run (one this book was given) as it ends; see <see cref="Summarized"/>.</summary>
    public RunSummarized Summary(Guid id)
    {
        var r = _runs[id];
        return new RunSummarized(id, r.Epoch, r.Epochs, r.Step, r.StepsPerEpoch, r.TrainLoss ?? double.NaN, r.TestLoss ?? double.NaN,
            r.TestAccuracy ?? double.NaN, r.SamplesPerSecond ?? double.NaN, r.Workers);
    }

    /// <summary>A run that ended before this coordinator started: its figures as they were when it ended.</summary>
    public void Summarized(RunSummarized s)
    {
        if (!_runs.TryGetValue(s.RunId, out var r)) return;
        _runs[s.RunId] = r with
        {
            Epoch = s.Epoch, Epochs = s.Epochs, Step = s.Step, StepsPerEpoch = s.StepsPerEpoch, Workers = s.Workers,
            TrainLoss = Known(s.TrainLoss), TestLoss = Known(s.TestLoss), TestAccuracy = Known(s.TestAccuracy),
            SamplesPerSecond = Known(s.SamplesPerSecond),
        };
        static double? Known(double value) => double.IsNaN(value) ? null : value;
    }

    /// <summary>Something the run's user should know that no run event says (it waits for workers that are not there).</summary>
    public void Note(Guid id, string text)
    {
        if (_runs.TryGetValue(id, out var r)) _runs[id] = r with { Events = [.. r.Events, text] };
    }

    public RunStatus? Get(Guid id) => _runs.GetValueOrDefault(id);

    /// <summary>Every run, newest first.</summary>
    public IReadOnlyList<RunStatus> All() => _order.AsEnumerable().Reverse().Select(id => _runs[id]).ToArray();

    public bool IsActive(Guid id) => _runs.TryGetValue(id, out var s) && s.State is "waiting" or "running";

    public void Apply(IActorNetMessage e)
    {
        switch (e)
        {
            case StepCompleted s when _runs.TryGetValue(s.RunId, out var r):
                _runs[s.RunId] = r with { State = "running", Step = s.Step + 1, StepsPerEpoch = s.StepsPerEpoch, Workers = s.Replicas };
                break;
            case EpochCompleted ep when _runs.TryGetValue(ep.RunId, out var r):
                _runs[ep.RunId] = r with
                {
                    Epoch = ep.Epoch, TrainLoss = ep.TrainLoss, TestLoss = ep.TestLoss, TestAccuracy = ep.TestAccuracy,
                    SamplesPerSecond = ep.SamplesPerSecond,
                };
                break;
            case WorkerLeftOut w when _runs.TryGetValue(w.RunId, out var r):
                _runs[w.RunId] = r with { Events = [.. r.Events, $"worker {w.Worker} left out: {w.Reason}"] };
                break;
            case RunCompleted c when _runs.TryGetValue(c.RunId, out var r):
                _runs[c.RunId] = r with { State = c.Outcome == RunOutcome.Completed ? "completed" : "cancelled", Step = c.Steps };
                break;
            case RunFailed f when _runs.TryGetValue(f.RunId, out var r):
                _runs[f.RunId] = r with { State = "failed", Error = f.Reason, Events = [.. r.Events, $"failed at step {f.Step}: {f.Reason}"] };
                break;
        }
    }
}

using System.Numerics;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// What a run's journal gave back on recovery (its start, its last checkpoint, its end), and
/// what the run does with it: start anew, continue (from the checkpoint, or from the beginning
/// when it has none), only say how it ended, or refuse a spec that does not fit what is stored.
/// </summary>
public sealed class RunRecovery<T>(ModelLayout layout, RunSpec spec, RunSchedule schedule, bool asynchronous)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private RunStarted? _start; // replayed only when no checkpoint came before it
    private RunEnded? _end;
    private Checkpoint<T>? _checkpoint;
    private string? _problem;

    public abstract record Outcome;
    /// <summary>The journal does not know the run: it starts, and journals its start.</summary>
    public sealed record New : Outcome;
    /// <summary>It continues; from <paramref name="Checkpoint"/>, or from the beginning when null.</summary>
    public sealed record Continue(Checkpoint<T>? Checkpoint) : Outcome;
    /// <summary>It completed or failed before: <paramref name="Told"/> is what the listener hears again.</summary>
    public sealed record Ended(RunEnded End, object Told) : Outcome;
    /// <summary>The stored run cannot continue under this spec; nothing is written.</summary>
    public sealed record Refused(long Step, string Problem) : Outcome;

    public void Offered(object snapshot, long sequenceNr)
    {
        if (snapshot is Checkpoint<T> c) _checkpoint = c;
        else _problem = $"its checkpoint {sequenceNr} holds {snapshot.GetType().Name}, not the {typeof(T).Name} parameters of this spec";
    }

    public void Started(RunStarted e) => _start = e;

    public void Closed(RunEnded e) => _end = e;

    /// <summary>What the run does. Call once: the checkpoint is handed over (the shards copy what they keep).</summary>
    public Outcome Decide(Guid runId, T[][] initialParameters)
    {
        var checkpoint = _checkpoint;
        _checkpoint = null;
        // A cancelled run may be continued (actornet local --resume); one that completed or failed only says how it ended.
        if (_end is { Outcome: not RunEnd.Cancelled } end)
            return new Ended(end, end.Outcome == RunEnd.Failed
                ? new RunFailed(runId, end.Step, end.Reason)
                : new RunCompleted(runId, end.Outcome == RunEnd.Completed ? RunOutcome.Completed : RunOutcome.Cancelled, end.Step,
                    checkpoint?.Epochs ?? [], ToDouble(checkpoint?.Parameters ?? initialParameters)));
        var problem = _problem
                      ?? (checkpoint is { } c && !asynchronous
                          ? ResumeCheck.Misfit(layout, spec, schedule, c.Step, c.Parameters.Select(p => p.Length), (ulong)c.Seed)
                          : null)
                      ?? (_start is { } started ? ResumeCheck.Misfit(layout, spec, started) : null);
        if (problem is not null) return new Refused(checkpoint?.Step ?? 0, problem);
        // The journal knows this run if it replayed its start, or a checkpoint (replay begins after the latest).
        if (_start is null && checkpoint is null) return new New();
        return new Continue(asynchronous ? null : checkpoint); // asynchronous runs keep no checkpoint to continue from
    }

    public static double[][] ToDouble(T[][] arrays) =>
        arrays.Select(a => a is null ? [] : a.Select(double.CreateChecked).ToArray()).ToArray();
}

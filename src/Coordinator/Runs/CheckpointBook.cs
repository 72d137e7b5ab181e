using System.Diagnostics;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// When a run takes a checkpoint, and what happens to those it took: the ones retention keeps,
/// saves sent to the snapshot store and not yet confirmed, deletions not yet confirmed. A run
/// ends only once the book is <see cref="Idle"/>: the process may exit as soon as the run says
/// it has ended, and its last checkpoint must be stored by then.
/// </summary>
public sealed class CheckpointBook(CheckpointSpec spec)
{
    private List<CheckpointRecord> _records = [];
    private readonly Dictionary<long, (long Step, double PauseMs, Stopwatch Clock)> _saving = [];
    private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
    private int _pendingDeletes;

    /// <summary>The checkpoints the run knows of (retention has not deleted).</summary>
    public IReadOnlyList<CheckpointRecord> Records => _records;

    public bool Idle => _saving.Count == 0 && _pendingDeletes == 0;

    /// <summary>The records a recovered checkpoint carried (replay continues after it).</summary>
    public void Restore(IEnumerable<CheckpointRecord> records) => _records = [.. records];

    /// <summary>A checkpoint was taken: journaled under <paramref name="sequenceNr"/>, its snapshot not saved yet.</summary>
    public void Taken(CheckpointRecord record) => _records.Add(record);

    /// <summary>Whether the step just committed ends with a checkpoint: the run's last step, an
    /// epoch's last step, every <c>everySteps</c> steps, or <c>everySeconds</c> after the last one.</summary>
    /// <param name="applied">steps applied, this one included</param>
    public bool Due(long applied, bool endsEpoch, bool last)
    {
        var due = last || endsEpoch || (spec.EverySteps > 0 && applied % spec.EverySteps == 0)
                  || (spec.EverySeconds > 0 && _sinceLast.Elapsed.TotalSeconds >= spec.EverySeconds);
        if (due) _sinceLast.Restart();
        return due;
    }

    /// <summary>The snapshot of checkpoint <paramref name="sequenceNr"/> went to the store.</summary>
    /// <param name="pauseMs">how long training stood still for it</param>
    public void Saving(long sequenceNr, long step, double pauseMs) => _saving[sequenceNr] = (step, pauseMs, Stopwatch.StartNew());

    /// <summary>The store confirmed a save: what it was (null: not one of ours), and the
    /// checkpoints retention now gives up (their deletions are pending until <see cref="Deleted"/>).</summary>
    public (long Step, double PauseMs, double SaveMs)? Saved(long sequenceNr, out IReadOnlyList<long> toDelete)
    {
        (long, double, double)? save = _saving.Remove(sequenceNr, out var s) ? (s.Step, s.PauseMs, s.Clock.Elapsed.TotalMilliseconds) : null;
        // Only saves the store has confirmed count or are deleted: saves may complete out of
        // order, and a deletion must not overtake its save.
        var confirmed = _records.Where(c => !_saving.ContainsKey(c.SequenceNr)).ToArray();
        var delete = CheckpointRetention.ToDelete(confirmed, spec.Keep);
        foreach (var old in delete) _records.Remove(old);
        _pendingDeletes += delete.Count;
        toDelete = delete.Select(d => d.SequenceNr).ToArray();
        return save;
    }

    /// <summary>A save failed: the checkpoints before it are still there; this one is forgotten.</summary>
    public void SaveFailed(long sequenceNr)
    {
        _saving.Remove(sequenceNr);
        _records.RemoveAll(c => c.SequenceNr == sequenceNr);
    }

    /// <summary>A deletion was confirmed (or failed: it is not retried).</summary>
    public void Deleted() => _pendingDeletes--;
}

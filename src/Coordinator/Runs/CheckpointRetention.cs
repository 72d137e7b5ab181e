using ActorNet.Protocol;

namespace ActorNet.Coordinator.Runs;

/// <summary>Which stored checkpoints a run deletes: all but the last <c>keep</c> and the one with
/// the best test accuracy (the earliest, on a tie; checkpoints taken within an epoch have none).
/// Plain function: the run actor calls it with the checkpoints the store has confirmed.</summary>
public static class CheckpointRetention
{
    /// <param name="confirmed">checkpoints whose save the snapshot store confirmed, any order</param>
    /// <param name="keep">most recent ones kept, at least 1</param>
    public static IReadOnlyList<CheckpointRecord> ToDelete(IReadOnlyCollection<CheckpointRecord> confirmed, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var kept = confirmed.OrderByDescending(c => c.SequenceNr).Take(keep).ToHashSet();
        var best = confirmed.Where(c => !double.IsNaN(c.TestAccuracy))
            .OrderByDescending(c => c.TestAccuracy).ThenBy(c => c.SequenceNr).FirstOrDefault();
        if (best is not null) kept.Add(best);
        return confirmed.Where(c => !kept.Contains(c)).OrderBy(c => c.SequenceNr).ToArray();
    }
}

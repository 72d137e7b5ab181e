namespace ActorNet.Persistence;

/// <summary>
/// How far a stored run got, from its journal alone (without loading its data, which may be
/// large or not on this machine): steps applied, and the run's total when the journal tells it.
/// </summary>
public static class RunProgress
{
    /// <summary>Steps applied as far as the journal knows: the step the run ended at, else
    /// that of its latest stored checkpoint (a running run has done more), else 0.</summary>
    public static long Steps(StoredRun run) =>
        run.Ended?.Step ?? (run.Checkpoints.Count > 0 ? run.Checkpoints.Max(c => c.Step) : 0);

    /// <summary>
    /// Steps of the whole run: those of a completed run; otherwise steps per epoch × the spec's
    /// epochs, where steps per epoch is the step of a checkpoint taken at an epoch's end (the
    /// only ones with a test loss) divided by the epochs completed. Retention always keeps the
    /// best of those, so this is known once an epoch has ended; null before.
    /// </summary>
    public static long? TotalSteps(StoredRun run)
    {
        if (run.Ended is { Outcome: Protocol.RunEnd.Completed } ended) return ended.Step;
        var atEpochEnd = run.Checkpoints.FirstOrDefault(c => c.Epoch > 0 && !double.IsNaN(c.TestLoss) && c.Step % c.Epoch == 0);
        return atEpochEnd is null ? null : atEpochEnd.Step / atEpochEnd.Epoch * run.Spec.Epochs;
    }
}

using System.Diagnostics;
using ActorNet.Protocol;

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// A run's figures: the current epoch's training totals and how long it has trained, and the
/// metrics of every completed epoch. An epoch ends in two halves: its training figures when its
/// last step is done (<see cref="EndEpoch"/>), its test figures when the evaluation, which runs
/// off the run actor's thread, comes back (<see cref="Complete"/>).
/// </summary>
public sealed class RunMetrics(Guid runId)
{
    private readonly List<EpochCompleted> _epochs = [];
    private readonly Stopwatch _clock = new();

    /// <summary>An epoch's training figures, waiting for its test figures.</summary>
    public sealed record EpochTrained(int Epoch, StepTotals Totals, double Seconds);

    public IReadOnlyList<EpochCompleted> Epochs => _epochs;

    /// <summary>Totals of the current epoch's steps so far.</summary>
    public StepTotals EpochTotals { get; private set; }

    /// <summary>Where a checkpoint left off.</summary>
    public void Restore(IEnumerable<EpochCompleted> epochs, StepTotals epochTotals)
    {
        _epochs.Clear();
        _epochs.AddRange(epochs);
        EpochTotals = epochTotals;
    }

    /// <summary>Training time runs from the first step after a wait (for workers, for an evaluation).</summary>
    public void Training()
    {
        if (!_clock.IsRunning) _clock.Start();
    }

    public void Add(StepTotals step) => EpochTotals = EpochTotals.Add(step.Rows, step.LossSum, step.Correct);

    /// <summary>The epoch's training is over. <paramref name="trainingGoesOn"/>: the next epoch
    /// trains while this one is evaluated (asynchronous runs); else the clock waits for the next step.</summary>
    public EpochTrained EndEpoch(int epoch, bool trainingGoesOn)
    {
        var trained = new EpochTrained(epoch, EpochTotals, _clock.Elapsed.TotalSeconds);
        EpochTotals = default;
        if (trainingGoesOn) _clock.Restart();
        else _clock.Reset();
        return trained;
    }

    /// <summary>The epoch's test figures came: it is complete.</summary>
    public EpochCompleted Complete(EpochTrained trained, double testLoss, double testAccuracy)
    {
        var t = trained.Totals;
        var e = new EpochCompleted(runId, trained.Epoch, t.LossSum / t.Rows, (double)t.Correct / t.Rows, testLoss, testAccuracy,
            t.Rows / Math.Max(trained.Seconds, 1e-9));
        _epochs.Add(e);
        return e;
    }
}

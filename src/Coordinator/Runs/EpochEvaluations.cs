namespace ActorNet.Coordinator.Runs;

/// <summary>The test-set evaluations of ended epochs, in epoch order, one at a time: the run
/// actor starts each off its own thread and hands the result back here.</summary>
/// <typeparam name="TParameters">the parameters an evaluation reads (T[][] in the run actor)</typeparam>
public sealed class EpochEvaluations<TParameters>
{
    private readonly Queue<(RunMetrics.EpochTrained Trained, TParameters Parameters)> _waiting = new();
    private RunMetrics.EpochTrained? _running;

    /// <summary>None running and none waiting.</summary>
    public bool Idle => _running is null && _waiting.Count == 0;

    public void Add(RunMetrics.EpochTrained trained, TParameters parameters) => _waiting.Enqueue((trained, parameters));

    /// <summary>The next evaluation to start, when none is running.</summary>
    public bool TryStartNext(out RunMetrics.EpochTrained trained, out TParameters parameters)
    {
        (trained, parameters) = (null!, default!);
        if (_running is not null || !_waiting.TryDequeue(out var next)) return false;
        (trained, parameters) = next;
        _running = trained;
        return true;
    }

    /// <summary>The running evaluation of <paramref name="epoch"/> is done: its training figures (null: not the one running).</summary>
    public RunMetrics.EpochTrained? Done(int epoch)
    {
        if (_running is not { } trained || trained.Epoch != epoch) return null;
        _running = null;
        return trained;
    }

    /// <summary>Drops those not started (a failed run reports no later epochs).</summary>
    public void DropWaiting() => _waiting.Clear();
}

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// The run's replicas: those taking part (in the order they were admitted: the order of the
/// step's parts, hence of summation), those that joined and take part from the next step, and
/// the workers asked for one and their refusals.
/// </summary>
/// <typeparam name="TRef">a worker's or replica's handle (an actor ref in the run actor)</typeparam>
public sealed class ReplicaRoster<TRef> where TRef : class
{
    private readonly List<TRef> _replicas = [];
    private readonly List<(string Worker, TRef Replica)> _joining = [];
    private readonly HashSet<TRef> _asked = [];
    private readonly List<string> _refusals = [];

    public IReadOnlyList<TRef> Replicas => _replicas;
    public int Joining => _joining.Count;
    public IReadOnlyList<string> Refusals => _refusals;

    public void Asked(TRef worker) => _asked.Add(worker);

    public void Joined(string worker, TRef replica) => _joining.Add((worker, replica));

    public void Refused(string worker, string reason) => _refusals.Add($"{worker}: {reason}");

    /// <summary>Every worker asked said no and none is left or on its way (with a fixed set of
    /// workers, the run cannot train).</summary>
    public bool AllRefused => _refusals.Count >= _asked.Count && _replicas.Count == 0 && _joining.Count == 0;

    /// <summary>The first step (of a new run, or of a run resumed from a checkpoint) waits for
    /// <paramref name="minWorkers"/> replicas, so that a run repeats exactly (it always starts on
    /// as many); with a fixed set of workers, for as many as did not refuse.</summary>
    public bool EnoughToStart(int minWorkers, bool fixedWorkers)
    {
        var ready = _replicas.Count + _joining.Count;
        return ready >= minWorkers || (fixedWorkers && ready > 0 && ready >= _asked.Count - _refusals.Count);
    }

    /// <summary>Replicas that joined take part from now on, lined up by worker name, not by who
    /// answered first: the order of parts is the order of summation, and a run must repeat bit
    /// for bit. Returns them in that order.</summary>
    public IReadOnlyList<(string Worker, TRef Replica)> AdmitJoining()
    {
        if (_joining.Count == 0) return [];
        var admitted = _joining.OrderBy(j => j.Worker, StringComparer.Ordinal).ToArray();
        foreach (var (_, r) in admitted) _replicas.Add(r);
        _joining.Clear();
        return admitted;
    }

    /// <summary>A replica is gone. True when it was taking part (not only joining).</summary>
    public bool Lose(TRef replica)
    {
        _joining.RemoveAll(j => j.Replica.Equals(replica));
        return _replicas.Remove(replica);
    }
}

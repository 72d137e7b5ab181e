using ActorNet.Training;

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// Asynchronous (stale-synchronous) training's bookkeeping: which batch each replica has, how
/// many batches each has done (its clock), batches to hand out again because their replica was
/// lost, how many updates each layer's shard has applied, and which epochs are over.
/// Replicas get a batch while they are at most MaxStaleness batches ahead of the slowest and at
/// most MaxStaleness computed gradients wait to be applied: the shards apply them one at a time,
/// and replicas that ran ahead of them would compute on ever older parameters.
/// </summary>
/// <typeparam name="TReplica">a replica's handle (an actor ref in the run actor)</typeparam>
public sealed class AsyncDispatcher<TReplica>(RunSchedule schedule, int layers, int maxStaleness) where TReplica : class
{
    private readonly Dictionary<TReplica, long> _assigned = [];
    private readonly Dictionary<TReplica, long> _clocks = [];
    private readonly Queue<long> _retry = new();
    private readonly long[] _layerVersions = new long[layers];
    private readonly Dictionary<int, int> _doneInEpoch = [];

    /// <summary>The next batch never handed out yet.</summary>
    public long NextBatch { get; private set; }

    /// <summary>Batches whose loss came back.</summary>
    public long BatchesDone { get; private set; }

    /// <summary>Epochs over: all their batches done, and the epoch before them over.</summary>
    public int EpochsDone { get; private set; }

    public bool Done => BatchesDone >= schedule.TotalSteps;

    /// <summary>No replica has a batch.</summary>
    public bool Idle => _assigned.Count == 0;

    /// <summary>Updates applied to layer <paramref name="layer"/>: the version of its parameters.</summary>
    public long Version(int layer) => _layerVersions[layer];

    /// <summary>A replica takes part: it starts level with the slowest.</summary>
    public void Join(TReplica replica) => _clocks[replica] = _clocks.Count == 0 ? 0 : _clocks.Values.Min();

    /// <summary>A replica is gone: its batch goes to someone else.</summary>
    public void Lose(TReplica replica)
    {
        _clocks.Remove(replica);
        if (_assigned.Remove(replica, out var lost)) _retry.Enqueue(lost);
    }

    /// <summary>A shard applied one update (one message per update, in the shard's order).</summary>
    public void LayerApplied(int layer) => _layerVersions[layer]++;

    /// <summary>Batches to hand out now, to replicas (in their order) that have none and may run.</summary>
    public IReadOnlyList<(TReplica Replica, long Batch)> Dispatch(IReadOnlyList<TReplica> replicas)
    {
        if (BatchesDone - _layerVersions.Min() > maxStaleness) return []; // the shards' next update dispatches again
        var handed = new List<(TReplica, long)>();
        var slowest = _clocks.Count == 0 ? 0 : _clocks.Values.Min();
        foreach (var r in replicas)
        {
            if (_assigned.ContainsKey(r) || _clocks[r] - slowest > maxStaleness) continue;
            long batch;
            if (_retry.Count > 0) batch = _retry.Dequeue();
            else if (NextBatch < schedule.TotalSteps) batch = NextBatch++;
            else break;
            _assigned[r] = batch;
            handed.Add((r, batch));
        }
        return handed;
    }

    /// <summary>A replica's loss for <paramref name="batch"/> came back. False when it is not the
    /// batch it has (stale: dropped). <paramref name="epochsEnded"/>: the epochs (1-based) this
    /// batch ended, in order.</summary>
    public bool BatchDone(TReplica from, long batch, out int[] epochsEnded)
    {
        epochsEnded = [];
        // A loss for another batch than the one the replica has leaves its batch assigned.
        if (!_assigned.TryGetValue(from, out var assigned) || assigned != batch) return false;
        _assigned.Remove(from);
        _clocks[from]++;
        BatchesDone++;
        var (epoch, _) = schedule.Locate(batch);
        _doneInEpoch[epoch] = _doneInEpoch.GetValueOrDefault(epoch) + 1;
        var ended = new List<int>();
        while (_doneInEpoch.GetValueOrDefault(EpochsDone) == schedule.StepsPerEpoch) ended.Add(++EpochsDone);
        epochsEnded = [.. ended];
        return true;
    }
}

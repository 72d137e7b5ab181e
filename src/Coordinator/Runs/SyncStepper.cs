using ActorNet.Training;

namespace ActorNet.Coordinator.Runs;

/// <summary>
/// One synchronous step's bookkeeping: which replica computes each part of the global batch
/// (contiguous slices, in the order replicas joined), which parts have reported their loss,
/// which were lost with their replica and wait for another, and how many shards have applied
/// the step. Plain: the run actor sends what it returns, so a test can play any order of events.
/// </summary>
/// <typeparam name="TReplica">a replica's handle (an actor ref in the run actor)</typeparam>
public sealed class SyncStepper<TReplica>(int layers) where TReplica : class
{
    private TReplica?[] _parts = [];       // who computes each part (null: lost, waiting for someone)
    private bool[] _done = [];
    private readonly Queue<int> _lost = new();
    private readonly HashSet<TReplica> _busy = [];
    private int _applied;
    private int _rows;

    /// <summary>One part of a step for one replica: rows [Start, Start + Count) of the step's batch.</summary>
    public readonly record struct Assignment(TReplica Replica, long Step, int Attempt, int Part, int Parts, int Start, int Count);

    /// <summary>The step being run, or the next one to run.</summary>
    public long Step { get; private set; }

    /// <summary>Rounds of this step: a part handed to another replica is a new round, so that
    /// gradients of the round before are recognised and dropped.</summary>
    public int Attempt { get; private set; }

    public bool InProgress { get; private set; }
    public int Parts => _parts.Length;
    public StepTotals Totals { get; private set; }

    /// <summary>All parts reported and every shard applied the step: it can be committed.</summary>
    public bool Complete => InProgress && _applied >= layers && Array.TrueForAll(_done, d => d);

    /// <summary>Positions the stepper at <paramref name="step"/> without starting it (a run resumed from a checkpoint).</summary>
    public void MoveTo(long step)
    {
        if (Step != step) Attempt = 0;
        Step = step;
    }

    /// <summary>Starts <paramref name="step"/> on as many replicas as there are rows (at most),
    /// one contiguous slice each; nothing when no replica is there (the step waits).</summary>
    /// <param name="rows">rows in the step's global batch</param>
    public IReadOnlyList<Assignment> Start(long step, IReadOnlyList<TReplica> replicas, int rows)
    {
        MoveTo(step);
        if (replicas.Count == 0)
        {
            InProgress = false;
            return [];
        }
        InProgress = true;
        _applied = 0;
        _rows = rows;
        Totals = default;
        _lost.Clear();
        _busy.Clear();
        var parts = Math.Min(replicas.Count, rows);
        _parts = replicas.Take(parts).ToArray();
        _done = new bool[parts];
        var assignments = new Assignment[parts];
        for (var k = 0; k < parts; k++)
        {
            var (start, count) = Batches.Piece(rows, parts, k);
            _busy.Add(_parts[k]!);
            assignments[k] = new Assignment(_parts[k]!, step, Attempt, k, parts, start, count);
        }
        return assignments;
    }

    /// <summary>Whether a loss for this part of this step is still awaited: false when it is stale
    /// or a duplicate (another step, a part already reported), which the run drops.</summary>
    public bool Awaits(long step, int part) => InProgress && step == Step && (uint)part < (uint)_done.Length && !_done[part];

    /// <summary>A part's loss came back. False when it is not <see cref="Awaits">awaited</see> (dropped).</summary>
    public bool PartDone(long step, int part, TReplica from, int rows, double lossSum, long correct)
    {
        if (!Awaits(step, part)) return false;
        _done[part] = true;
        _busy.Remove(from);
        Totals = Totals.Add(rows, lossSum, correct);
        return true;
    }

    /// <summary>A shard applied a step. False when it is not this step's.</summary>
    public bool Applied(long step)
    {
        if (step != Step) return false;
        _applied++;
        return true;
    }

    /// <summary>A replica is gone: its unfinished parts of this step wait for another (with the
    /// same part number, so the shards add them in the same place).</summary>
    public void Lose(TReplica replica)
    {
        _busy.Remove(replica);
        if (!InProgress) return;
        for (var k = 0; k < _parts.Length; k++)
            if (replica.Equals(_parts[k]) && !_done[k])
            {
                _parts[k] = null;
                _lost.Enqueue(k);
            }
    }

    public bool HasLostParts => _lost.Count > 0;

    /// <summary>Hands lost parts to free replicas, each a new round.</summary>
    public IReadOnlyList<Assignment> AssignLost(IReadOnlyList<TReplica> replicas)
    {
        var assignments = new List<Assignment>();
        foreach (var r in replicas)
        {
            if (_lost.Count == 0) break;
            if (_busy.Contains(r)) continue;
            var k = _lost.Dequeue();
            var (start, count) = Batches.Piece(_rows, _parts.Length, k);
            Attempt++;
            _parts[k] = r;
            _busy.Add(r);
            assignments.Add(new Assignment(r, Step, Attempt, k, _parts.Length, start, count));
        }
        return assignments;
    }

    /// <summary>Ends the step (it is <see cref="Complete"/>): its totals.</summary>
    public StepTotals Commit()
    {
        InProgress = false;
        return Totals;
    }
}

/// <summary>Training rows, loss sum and correct answers, added up over parts or steps.</summary>
public readonly record struct StepTotals(int Rows, double LossSum, long Correct)
{
    public StepTotals Add(int rows, double lossSum, long correct) => new(Rows + rows, LossSum + lossSum, Correct + correct);
}

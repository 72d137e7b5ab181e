using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// Which training samples each step uses: every epoch is a fresh permutation of the
/// training set drawn from the run's seed and the epoch number (so a step's samples are a
/// pure function of seed and step, which is what lets a resumed run continue exactly),
/// cut into consecutive batches; the last batch of an epoch may be smaller.
/// </summary>
public sealed class RunSchedule
{
    private readonly ulong _seed;
    private int _epochInCache = -1;
    private int[] _permutation = [];

    public RunSchedule(int trainCount, int batchSize, int epochs, ulong seed)
    {
        if (trainCount <= 0) throw new ArgumentException("the training set is empty", nameof(trainCount));
        TrainCount = trainCount;
        BatchSize = Math.Min(batchSize, trainCount);
        Epochs = epochs;
        _seed = seed;
        StepsPerEpoch = (trainCount + BatchSize - 1) / BatchSize;
    }

    public int TrainCount { get; }
    public int BatchSize { get; }
    public int Epochs { get; }
    public int StepsPerEpoch { get; }
    public long TotalSteps => (long)StepsPerEpoch * Epochs;

    /// <summary>0-based epoch and position within it of a step.</summary>
    public (int Epoch, int Position) Locate(long step) => ((int)(step / StepsPerEpoch), (int)(step % StepsPerEpoch));

    public bool EndsEpoch(long step) => Locate(step).Position == StepsPerEpoch - 1;

    /// <summary>The training-set rows of a step's global batch, in order.</summary>
    public ReadOnlySpan<int> Indices(long step)
    {
        var (epoch, position) = Locate(step);
        if (epoch != _epochInCache)
        {
            _permutation = Rng.ForStream(_seed, 1000 + (ulong)epoch).Permutation(TrainCount);
            _epochInCache = epoch;
        }
        var start = position * BatchSize;
        return _permutation.AsSpan(start, Math.Min(BatchSize, TrainCount - start));
    }
}

using ActorNet.Protocol;
using ActorNet.Coordinator.Runs;
using Xunit;

namespace ActorNet.Tests.Training;

public sealed class CheckpointRetentionTests
{
    private static CheckpointRecord At(long seq, double accuracy = double.NaN) => new(seq, seq * 10, accuracy);

    [Fact]
    public void Keeps_the_last_ones_and_the_best_and_deletes_the_rest_oldest_first()
    {
        var all = new[] { At(5, 0.70), At(1), At(3, 0.91), At(7), At(9, 0.88), At(11) };
        var deleted = CheckpointRetention.ToDelete(all, keep: 2);
        Assert.Equal(new long[] { 1, 5, 7 }, deleted.Select(c => c.SequenceNr));  // 9 and 11 are the last two, 3 the best
    }

    [Fact]
    public void The_best_that_is_also_among_the_last_is_not_counted_twice()
    {
        var deleted = CheckpointRetention.ToDelete([At(1, 0.5), At(2, 0.6), At(3, 0.9)], keep: 1);
        Assert.Equal(new long[] { 1, 2 }, deleted.Select(c => c.SequenceNr));
    }

    [Fact]
    public void On_a_tie_the_earliest_best_is_kept_and_without_accuracies_only_the_last()
    {
        Assert.Equal(new long[] { 4, 6 }, CheckpointRetention.ToDelete([At(2, 0.9), At(4, 0.9), At(6), At(8)], keep: 1).Select(c => c.SequenceNr));
        Assert.Equal(new long[] { 1, 2 }, CheckpointRetention.ToDelete([At(1), At(2), At(3), At(4)], keep: 2).Select(c => c.SequenceNr));
        Assert.Empty(CheckpointRetention.ToDelete([], keep: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointRetention.ToDelete([At(1)], keep: 0));
    }
}

using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

public sealed class ParameterShardTests
{
    // A 1-input, 1-output layer: parameters [w | b].
    private static ParameterShard<double> Shard() =>
        new(0, new LayerShape(1, 1, Activation.Identity, 1), [1.0, 0.5], new OptimizerSettings(OptimizerKind.Sgd, 0.1), trainBiases: true);

    [Fact]
    public void Waits_for_every_part_then_applies_the_mean_gradient_once()
    {
        var shard = Shard();
        Assert.Null(shard.Add(step: 0, part: 1, parts: 2, rows: 3, gradient: [6.0, 3.0]));
        var mean = shard.Add(step: 0, part: 0, parts: 2, rows: 1, gradient: [2.0, 1.0]);

        Assert.Equal([2.0, 1.0], mean!);                      // (6 + 2) / 4 rows, (3 + 1) / 4 rows
        Assert.Equal([1.0 - 0.1 * 2.0, 0.5 - 0.1 * 1.0], shard.Parameters);
        Assert.Equal(1, shard.Version);
    }

    [Fact]
    public void A_duplicate_or_stale_part_is_dropped_and_counted()
    {
        var shard = Shard();
        Assert.Null(shard.Add(0, 0, 2, 1, [1.0, 1.0]));
        Assert.Null(shard.Add(0, 0, 2, 1, [9.0, 9.0]));       // the same part again (computed twice)
        Assert.NotNull(shard.Add(0, 1, 2, 1, [1.0, 1.0]));
        Assert.Null(shard.Add(0, 1, 2, 1, [1.0, 1.0]));       // step 0 is already applied
        Assert.Equal(2, shard.DroppedParts);
        Assert.Equal([1.0 - 0.1, 0.5 - 0.1], shard.Parameters);
    }

    [Fact]
    public void Parameters_are_a_new_array_after_each_update()
    {
        var shard = Shard();
        var before = shard.Parameters;
        shard.Add(0, 0, 1, 1, [1.0, 1.0]);
        Assert.NotSame(before, shard.Parameters);
        Assert.Equal([1.0, 0.5], before);                      // what was sent before is never written to
    }
}

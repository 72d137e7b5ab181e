using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

public sealed class ParameterShardTests
{
    // A 1-input, 1-output layer: parameters [w | b].
    private static ParameterShard<double> Shard(bool keepAverage = false) =>
        new(0, new LayerShape(1, 1, Activation.Identity, 1), [1.0, 0.5], new OptimizerSettings(OptimizerKind.Sgd, 0.1), trainBiases: true,
            keepAverage: keepAverage);

    [Fact]
    public void Waits_for_every_part_then_applies_the_mean_gradient_once()
    {
        var shard = Shard(keepAverage: true);
        Assert.False(shard.Add(step: 0, part: 1, parts: 2, rows: 3, gradient: [6.0, 3.0]));
        Assert.True(shard.Add(step: 0, part: 0, parts: 2, rows: 1, gradient: [2.0, 1.0]));

        Assert.Equal([2.0, 1.0], shard.LastAverage!);          // (6 + 2) / 4 rows, (3 + 1) / 4 rows
        Assert.Equal([1.0 - 0.1 * 2.0, 0.5 - 0.1 * 1.0], shard.Parameters);
        Assert.Equal(1, shard.Version);
    }

    [Fact]
    public void A_duplicate_or_stale_part_is_dropped_and_counted()
    {
        var shard = Shard();
        Assert.False(shard.Add(0, 0, 2, 1, [1.0, 1.0]));
        Assert.False(shard.Add(0, 0, 2, 1, [9.0, 9.0]));      // the same part again (computed twice)
        Assert.True(shard.Add(0, 1, 2, 1, [1.0, 1.0]));
        Assert.False(shard.Add(0, 1, 2, 1, [1.0, 1.0]));      // step 0 is already applied
        Assert.Equal(2, shard.DroppedParts);
        Assert.Equal([1.0 - 0.1, 0.5 - 0.1], shard.Parameters);
    }

    [Fact]
    public void The_parameters_sent_as_one_version_stay_as_they_were_while_the_next_is_current()
    {
        var given = new[] { 1.0, 0.5 };
        var shard = new ParameterShard<double>(0, new LayerShape(1, 1, Activation.Identity, 1), given,
            new OptimizerSettings(OptimizerKind.Sgd, 0.1), trainBiases: true);
        var version0 = shard.Parameters;
        Assert.NotSame(given, version0);                        // the caller's array is never written

        shard.Add(0, 0, 1, 1, [1.0, 1.0]);
        var version1 = shard.Parameters;
        Assert.NotSame(version0, version1);
        Assert.Equal([1.0, 0.5], version0);                     // a replica may still read version 0

        shard.Add(1, 0, 1, 1, [1.0, 1.0]);
        Assert.Equal([0.9, 0.4], version1);                     // nor is version 1 written by version 2
        Assert.Equal([1.0, 0.5], given);
    }

    [Fact]
    public void A_traced_shard_keeps_the_mean_gradient_and_an_untraced_one_keeps_none()
    {
        var traced = Shard(keepAverage: true);
        traced.Add(0, 0, 1, 4, [4.0, 2.0]);
        Assert.Equal([1.0, 0.5], traced.LastAverage!);
        var plain = Shard();
        plain.Add(0, 0, 1, 4, [4.0, 2.0]);
        Assert.Null(plain.LastAverage);
        Assert.Equal(traced.Parameters, plain.Parameters);
    }

    [Fact]
    public void A_capture_is_a_copy_that_later_updates_do_not_touch()
    {
        var shard = Shard();
        shard.Add(0, 0, 1, 1, [1.0, 1.0]);
        var (version, parameters, _, _) = shard.Capture();
        shard.Add(1, 0, 1, 1, [1.0, 1.0]);
        shard.Add(2, 0, 1, 1, [1.0, 1.0]);
        Assert.Equal(1, version);
        Assert.Equal([0.9, 0.4], parameters);
    }
}

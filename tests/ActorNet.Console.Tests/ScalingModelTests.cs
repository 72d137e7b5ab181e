using ActorNet.Cli.Bench;
using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary>The scaling model's arithmetic, on round numbers worked out by hand.</summary>
public sealed class ScalingModelTests
{
    // 1,000 samples of 10 µs each: 10 ms of compute per step on one worker; 1 MB of parameters
    // over a 1 GB/s link: 1 ms each way.
    private const int Batch = 1000;
    private const double Sample = 10e-6, Bytes = 1e6, Link = 1e9;

    [Fact]
    public void Parameter_shards_add_the_coordinator_s_transfers_to_a_worker_s_compute()
    {
        // 1 worker: 10 ms + 2 × 1 ms → 1000 / 12 ms; 4 workers: 2.5 ms + 2 × 4 ms = 10.5 ms.
        Assert.Equal(1000 / 0.012, ScalingModel.ParameterShards(1, Batch, Sample, Bytes, Link, overlap: false), 6);
        Assert.Equal(1000 / 0.0105, ScalingModel.ParameterShards(4, Batch, Sample, Bytes, Link, overlap: false), 6);
        // With overlap the gradients' 4 ms hide behind nothing longer than themselves: max(2.5, 4) + 4.
        Assert.Equal(1000 / 0.008, ScalingModel.ParameterShards(4, Batch, Sample, Bytes, Link, overlap: true), 6);
    }

    [Fact]
    public void A_ring_moves_two_parameters_worth_per_worker_whatever_their_number()
    {
        Assert.Equal(1000 / 0.010, ScalingModel.RingAllReduce(1, Batch, Sample, Bytes, Link), 6);
        // 4 workers: 2.5 ms + 2 × 3/4 × 1 ms.
        Assert.Equal(1000 / 0.004, ScalingModel.RingAllReduce(4, Batch, Sample, Bytes, Link), 6);
    }

    [Fact]
    public void The_coordinator_s_link_is_the_limit_once_its_transfer_outlasts_a_worker_s_compute()
    {
        // W ms of transfer against 10/W ms of compute: 3 × 3 = 9 < 10, 4 × 4 = 16 ≥ 10.
        Assert.Equal(4, ScalingModel.LinkBoundFrom(Batch, Sample, Bytes, Link));
    }
}

using ActorNet.Model;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Model;

public sealed class WeightStatisticsTests
{
    [Fact]
    public void Four_values_give_the_figures_worked_by_hand()
    {
        // 1, −2, 3, 4: sum 6, mean 1.5; deviations −0.5, −3.5, 1.5, 2.5, squared 0.25 + 12.25 +
        // 2.25 + 6.25 = 21, over n = 4: variance 5.25; squares 1 + 4 + 9 + 16 = 30.
        var s = WeightStatistics.Of([1, -2, 3, 4]);
        Assert.Equal(4, s.Count);
        Assert.Equal(1.5, s.Mean);
        Assert.Equal(Math.Sqrt(5.25), s.StandardDeviation, 15);
        Assert.Equal(-2, s.Min);
        Assert.Equal(4, s.Max);
        Assert.Equal(Math.Sqrt(30), s.L2Norm, 15);
    }

    [Fact]
    public void One_value_has_no_spread_and_its_magnitude_for_norm()
    {
        var s = WeightStatistics.Of([-0.5]);
        Assert.Equal(new WeightStatistics(1, -0.5, 0, -0.5, -0.5, 0.5), s);
    }

    [Fact]
    public void Values_far_from_zero_keep_their_small_spread()
    {
        // One pass (E[x²] − mean²) would lose the 1e-3 spread of values near 1e6 in round-off.
        var s = WeightStatistics.Of([1e6 + 1e-3, 1e6 - 1e-3]);
        Assert.Equal(1e-3, s.StandardDeviation, 9);
    }

    [Fact]
    public void No_values_count_zero_and_a_nan_shows_in_every_figure()
    {
        var empty = WeightStatistics.Of([]);
        Assert.Equal(0, empty.Count);
        Assert.Equal(0, empty.L2Norm);
        Assert.True(double.IsNaN(empty.Mean) && double.IsNaN(empty.StandardDeviation) && double.IsNaN(empty.Min) && double.IsNaN(empty.Max));

        var diverged = WeightStatistics.Of([1, double.NaN, 2]);
        Assert.Equal(3, diverged.Count);
        Assert.All(new[] { diverged.Mean, diverged.StandardDeviation, diverged.Min, diverged.Max, diverged.L2Norm }, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void A_layer_splits_into_its_weights_and_its_biases()
    {
        // 2 inputs → 2 neurons: W = [[1, 2], [3, 4]] row-major, then b = [−1, 1].
        var shape = new LayerShape(2, 2, Activation.Tanh, 1);
        var (w, b) = WeightStatistics.OfLayer(shape, [1, 2, 3, 4, -1, 1]);
        Assert.Equal(WeightStatistics.Of([1, 2, 3, 4]), w);
        Assert.Equal(2.5, w.Mean);
        Assert.Equal(Math.Sqrt(1.25), w.StandardDeviation, 15); // deviations ±1.5, ±0.5: (2.25·2 + 0.25·2) / 4
        Assert.Equal(new WeightStatistics(2, 0, 1, -1, 1, Math.Sqrt(2)), b);
        Assert.Throws<ArgumentException>(() => WeightStatistics.OfLayer(shape, [1, 2, 3, 4, -1]));
    }
}

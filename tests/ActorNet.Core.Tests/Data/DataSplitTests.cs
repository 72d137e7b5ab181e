using ActorNet.Data;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class DataSplitTests
{
    /// <summary>Row i has the single feature i and label i mod 3, so rows can be traced.</summary>
    private static DataSet Numbered(int count) =>
        new("numbered", Enumerable.Range(0, count).Select(i => (float)i).ToArray(), 1,
            Enumerable.Range(0, count).Select(i => i % 3).ToArray(), 3, classNames: ["x", "y", "z"]);

    [Fact]
    public void Splits_every_row_into_exactly_one_part()
    {
        var (train, test) = Numbered(100).Split(0.25, seed: 1);
        Assert.Equal((75, 25), (train.Count, test.Count));
        var all = train.Features.Concat(test.Features).Select(v => (int)v).Order();
        Assert.Equal(Enumerable.Range(0, 100), all);
        for (var r = 0; r < test.Count; r++) Assert.Equal((int)test.Row(r)[0] % 3, test.Labels![r]);
        Assert.Equal(["x", "y", "z"], test.ClassNames!);
        Assert.Equal(("numbered/train", "numbered/test"), (train.Name, test.Name));
    }

    [Fact]
    public void Is_deterministic_for_a_seed_and_shuffles()
    {
        var data = Numbered(50);
        var (a, _) = DataSplit.TrainTest(data, 0.2, seed: 9);
        var (b, _) = DataSplit.TrainTest(data, 0.2, seed: 9);
        var (c, _) = DataSplit.TrainTest(data, 0.2, seed: 10);
        Assert.Equal(a.Features, b.Features);
        Assert.NotEqual(a.Features, c.Features);
        Assert.NotEqual(a.Features.Order(), a.Features); // shuffled, not kept in order
    }

    [Fact]
    public void Keeps_both_parts_non_empty()
    {
        var (train, test) = Numbered(3).Split(0.01, seed: 1);
        Assert.Equal((2, 1), (train.Count, test.Count));
        Assert.Equal((1, 2), (Numbered(3).Split(0.99, seed: 1).Train.Count, Numbered(3).Split(0.99, seed: 1).Test.Count));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void Rejects_fractions_outside_the_open_unit_interval(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(10).Split(fraction, seed: 1));
    }

    [Fact]
    public void Rejects_a_set_too_small_to_split()
    {
        Assert.Throws<ArgumentException>(() => Numbered(1).Split(0.5, seed: 1));
    }
}

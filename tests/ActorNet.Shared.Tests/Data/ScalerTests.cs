using ActorNet.Data;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class ScalerTests
{
    /// <summary>Three rows of (varying, constant, negative) features.</summary>
    private static DataSet Train() => new("train", [0f, 5f, -2f, 10f, 5f, -4f, 5f, 5f, -6f], 3, [0, 1, 0], 2, classNames: ["a", "b"]);

    private static DataSet Test() => new("test", [20f, 7f, 0f], 3, [1], 2);

    [Fact]
    public void MinMax_maps_training_features_to_unit_range_and_constants_to_zero()
    {
        var scaler = Scaler.Fit(Train(), ScalingKind.MinMax);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0.5f, 0.5f, 0f, 0f], scaler.Apply(Train()).Features);
        Assert.Equal([2f, 0f, 1.5f], scaler.Apply(Test()).Features); // the test set may leave [0, 1]
    }

    [Fact]
    public void Standardize_gives_zero_mean_unit_variance_from_training_statistics()
    {
        var train = Train();
        var scaled = Scaler.Fit(train, ScalingKind.Standardize).Apply(train);
        for (var j = 0; j < 3; j++)
        {
            var column = Enumerable.Range(0, 3).Select(r => (double)scaled.Row(r)[j]).ToArray();
            Assert.Equal(0, column.Average(), 6);
            var variance = column.Select(v => v * v).Average();
            Assert.Equal(j == 1 ? 0 : 1, variance, 5);
        }
    }

    [Fact]
    public void UnitRange_divides_everything_by_the_training_maximum_magnitude()
    {
        var scaler = Scaler.Fit(Train(), ScalingKind.UnitRange);
        Assert.All(scaler.Divisors, d => Assert.Equal(10, d));
        Assert.Equal([2f, 0.7f, 0f], scaler.Apply(Test()).Features);
    }

    [Fact]
    public void UnitRange_on_image_bytes_is_divide_by_255()
    {
        var images = new DataSet("img", [0f, 255f, 128f, 3f], 2, [0, 1], 2);
        Assert.Equal([0f, 1f, 128f / 255f, 3f / 255f], Scaler.Fit(images, ScalingKind.UnitRange).Apply(images).Features);
    }

    [Fact]
    public void None_changes_nothing()
    {
        Assert.Equal(Train().Features, Scaler.Fit(Train(), ScalingKind.None).Apply(Train()).Features);
    }

    [Theory]
    [InlineData(ScalingKind.None)]
    [InlineData(ScalingKind.MinMax)]
    [InlineData(ScalingKind.Standardize)]
    [InlineData(ScalingKind.UnitRange)]
    public void Apply_returns_a_new_set_and_leaves_the_input_untouched(ScalingKind kind)
    {
        var train = Train();
        var before = train.Features.ToArray();
        var scaled = Scaler.Fit(train, kind).Apply(train);
        Assert.NotSame(train, scaled);
        Assert.NotSame(train.Features, scaled.Features);
        Assert.Equal(before, train.Features);
        Assert.Same(train.Labels, scaled.Labels);
        Assert.Equal(train.ClassNames, scaled.ClassNames);
    }

    [Fact]
    public void Mismatched_feature_count_is_rejected()
    {
        var scaler = Scaler.Fit(Train(), ScalingKind.MinMax);
        Assert.Throws<ArgumentException>(() => scaler.Apply(new DataSet("two", [1f, 2f], 2, [0], 1)));
    }
}

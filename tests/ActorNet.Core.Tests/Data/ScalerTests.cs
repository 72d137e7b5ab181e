using ActorNet.Data;
using ActorNet.Model;
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

    [Theory]
    [InlineData(ScalingKind.MinMax)]
    [InlineData(ScalingKind.Standardize)]
    [InlineData(ScalingKind.UnitRange)]
    public void A_scaler_rebuilt_from_its_parameters_scales_raw_rows_as_the_fitted_one(ScalingKind kind)
    {
        var fitted = Scaler.Fit(Train(), kind);
        var rebuilt = Scaler.FromParameters(kind, fitted.Offsets, fitted.Divisors);
        Assert.Equal(fitted.Apply(Test()).Features, rebuilt.Apply(Test().Features));
        Assert.Equal(fitted.Apply(Train()).Features, rebuilt.Apply(Train().Features));
        Assert.True(Scaler.TryParse(Scaler.Name(kind), out var parsed));
        Assert.Equal(kind, parsed);
    }

    [Fact]
    public void Raw_rows_must_be_whole_rows()
    {
        var scaler = Scaler.Fit(Train(), ScalingKind.MinMax);
        Assert.Throws<ArgumentException>(() => scaler.Apply(new float[4]));
        Assert.Throws<ArgumentException>(() => Scaler.FromParameters(ScalingKind.MinMax, [0, 0], [1]));
    }

    [Fact]
    public void A_float64_set_is_fitted_and_scaled_in_double_and_stays_float64()
    {
        double[] x = [0.1, 0.2, 0.7]; // one feature, three rows
        var data = DataSet.FromDoubles("tenths", x, 1, [0, 1, 0], 2);
        var scaler = Scaler.Fit(data, ScalingKind.Standardize);
        var mean = x.Average();
        var std = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());
        Assert.Equal(mean, scaler.Offsets[0], 1e-16);
        Assert.Equal(std, scaler.Divisors[0], 1e-16);
        var scaled = scaler.Apply(data);
        Assert.Equal(Precision.Float64, scaled.Precision);
        Assert.Equal(x.Select(v => (v - scaler.Offsets[0]) / scaler.Divisors[0]), scaled.Features64); // exactly, not rounded to float32

        var minMax = Scaler.Fit(data, ScalingKind.MinMax).Apply(data).Features64;
        Assert.Equal([0, (0.2 - 0.1) / (0.7 - 0.1), 1], minMax);
    }

    [Fact]
    public void The_loader_hands_back_the_scaler_it_applied_and_none_without_scaling()
    {
        var spec = new ActorNet.Model.DataSpec { Builtin = "circles", Samples = 100, Scaling = "standardize" };
        var (train, test, scaler) = DataLoader.Load(spec, seed: 5, Precision.Float32);
        var (rawTrain, rawTest, none) = DataLoader.Load(spec with { Scaling = "none" }, seed: 5, Precision.Float32);
        Assert.Null(none);
        Assert.NotNull(scaler);
        Assert.Equal(ScalingKind.Standardize, scaler.Kind);
        Assert.Equal(train.Features, scaler.Apply(rawTrain.Features));
        Assert.Equal(test.Features, scaler.Apply(rawTest.Features));

        // A float64 run's: the same points (generated in float32, widened), scaled in double.
        var (train64, _, scaler64) = DataLoader.Load(spec, seed: 5, Precision.Float64);
        Assert.Equal(Precision.Float64, train64.Precision);
        Assert.Equal(scaler.Offsets, scaler64!.Offsets);
        var row = new double[2];
        train64.CopyRow<double>(0, row);
        var raw = rawTrain.Row(0);
        Assert.Equal([(raw[0] - scaler.Offsets[0]) / scaler.Divisors[0], (raw[1] - scaler.Offsets[1]) / scaler.Divisors[1]], row);
    }
}

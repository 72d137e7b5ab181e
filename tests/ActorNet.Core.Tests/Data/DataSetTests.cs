using ActorNet.Data;
using ActorNet.Model;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class DataSetTests
{
    [Fact]
    public void Class_names_are_copied_and_kept_by_select()
    {
        var names = new[] { "cat", "dog" };
        var data = new DataSet("pets", [1f, 2f, 3f], 1, [0, 1, 1], 2, classNames: names);
        names[0] = "changed";
        Assert.Equal(["cat", "dog"], data.ClassNames!);
        Assert.Equal(["cat", "dog"], data.Select([2, 0]).ClassNames!);
    }

    [Fact]
    public void Class_names_must_match_the_classes()
    {
        Assert.Throws<ArgumentException>(() => new DataSet("x", [1f], 1, [0], 2, classNames: ["only one"]));
        Assert.Throws<ArgumentException>(() => new DataSet("x", [1f], 1, null, 0, [1f], 1, classNames: ["a"]));
    }

    [Fact]
    public void WithFeatures_keeps_labels_and_targets_and_checks_the_length()
    {
        var data = new DataSet("t", [1f, 2f], 1, null, 0, [0.5f, 0.25f], 1);
        var other = data.WithFeatures([3f, 4f]);
        Assert.Equal([3f, 4f], other.Features);
        Assert.Same(data.Targets, other.Targets);
        Assert.Equal([1f, 2f], data.Features);
        Assert.Throws<ArgumentException>(() => data.WithFeatures([1f]));
    }

    // 5 images of 3 pixels as bytes, and the same values as floats.
    private static readonly byte[] Pixels = [0, 255, 7, 12, 0, 200, 255, 255, 1, 3, 90, 0, 128, 64, 32];
    private static readonly int[] PixelLabels = [0, 1, 2, 1, 0];
    private static DataSet AsBytes() => new("img", Pixels, Enumerable.Range(0, 256).Select(v => (float)v).ToArray(), 3, PixelLabels, 3);
    private static DataSet AsFloats() => new("img", Pixels.Select(b => (float)b).ToArray(), 3, PixelLabels, 3);

    [Theory]
    [InlineData(ScalingKind.None)]
    [InlineData(ScalingKind.UnitRange)]
    [InlineData(ScalingKind.MinMax)]
    [InlineData(ScalingKind.Standardize)]
    public void A_set_of_bytes_reads_scales_selects_and_fingerprints_as_the_same_values_in_floats(ScalingKind kind)
    {
        var (bytes, floats) = (AsBytes(), AsFloats());
        var scaler = Scaler.Fit(bytes, kind);
        Assert.Equal(Scaler.Fit(floats, kind).Offsets, scaler.Offsets);
        Assert.Equal(Scaler.Fit(floats, kind).Divisors, scaler.Divisors);
        var (scaledBytes, scaledFloats) = (scaler.Apply(bytes), scaler.Apply(floats));

        Assert.True(scaledBytes.IsBytes); // scaling changes the table, not the rows
        Assert.Equal(scaledFloats.Features, scaledBytes.Features); // bit for bit
        var (rowOfBytes, rowOfFloats) = (new double[3], new double[3]);
        scaledBytes.CopyRow<double>(3, rowOfBytes);
        scaledFloats.CopyRow<double>(3, rowOfFloats);
        Assert.Equal(rowOfFloats, rowOfBytes);
        Assert.Equal(DataFingerprint.OfDataSet(scaledFloats), DataFingerprint.OfDataSet(scaledBytes));
        var (someBytes, someFloats) = (scaledBytes.Select([4, 1]), scaledFloats.Select([4, 1]));
        Assert.True(someBytes.IsBytes);
        Assert.Equal(someFloats.Features, someBytes.Features);
        Assert.Equal(someFloats.Labels, someBytes.Labels);
    }

    [Fact]
    public void A_float64_set_keeps_its_digits_through_select_map_and_targets_and_says_what_it_lacks()
    {
        var data = DataSet.FromDoubles("thirds", [0.1, 1.0 / 3, 0.7, 2.0 / 3], 2, labels: null, classes: 0, [0.2, 0.9], 1);
        Assert.Equal(Precision.Float64, data.Precision);
        var picked = data.Select([1]);
        Assert.Equal(Precision.Float64, picked.Precision);
        Assert.Equal([0.7, 2.0 / 3], picked.Features64);
        Assert.Equal([0.9], picked.Targets64!);
        var (x, t) = (new double[2], new double[1]);
        data.CopyRow<double>(0, x);
        data.CopyTargets<double>(0, t);
        Assert.Equal([0.1, 1.0 / 3], x);
        Assert.Equal([0.2], t);
        Assert.Equal([0.1 * 3, 1.0 / 3 * 3, 0.7 * 3, 2.0 / 3 * 3], data.Map((_, v) => v * 3).Features64); // computed and kept in double

        Assert.Equal("thirds keeps its features in float64: read its rows with CopyRow", Assert.Throws<InvalidOperationException>(() => data.Row(0).Length).Message);
        Assert.Equal("thirds keeps its targets in float64: use Targets64 or CopyTargets", Assert.Throws<InvalidOperationException>(() => data.Targets).Message);
    }

    [Fact]
    public void Widening_to_float64_is_exact_and_rounding_to_float32_is_to_nearest()
    {
        var floats = AsFloats();
        Assert.Same(floats, floats.ToPrecision(Precision.Float32));
        var wide = floats.ToPrecision(Precision.Float64);
        Assert.Equal(floats.Features.Select(v => (double)v), wide.Features64);
        Assert.Equal(floats.Labels, wide.Labels);
        var wideBytes = AsBytes().ToPrecision(Precision.Float64);
        Assert.True(wideBytes.IsBytes); // the table widens, the bytes stay
        Assert.Equal(wide.Features64, wideBytes.Features64);

        var thirds = DataSet.FromDoubles("t", [1.0 / 3, 0.1], 1, [0, 1], 2).ToPrecision(Precision.Float32);
        Assert.Equal([1f / 3, 0.1f], thirds.Features);
    }

    [Fact]
    public void A_set_of_bytes_has_no_float_rows_to_lend_and_says_so()
    {
        var e = Assert.Throws<InvalidOperationException>(() => AsBytes().Row(0).Length);
        Assert.Equal("img keeps its features as bytes: read its rows with CopyRow", e.Message);
        Assert.Throws<ArgumentException>(() => new DataSet("img", Pixels, new float[100], 3, PixelLabels, 3));
    }
}

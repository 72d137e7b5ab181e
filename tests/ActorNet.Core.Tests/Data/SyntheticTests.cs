using ActorNet.Data;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class SyntheticTests
{
    public static TheoryData<string> Names => new(Synthetic.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Same_seed_gives_identical_data_and_another_seed_other_data(string name)
    {
        var a = Synthetic.Create(name, 200, seed: 42);
        var b = Synthetic.Create(name, 200, seed: 42);
        var c = Synthetic.Create(name, 200, seed: 43);
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Labels!, b.Labels!);
        Assert.NotEqual(a.Features, c.Features);
    }

    [Theory]
    [InlineData("circles", 101, 2)]
    [InlineData("moons", 100, 2)]
    [InlineData("spirals", 299, 2)]
    [InlineData("xor", 103, 2)]
    public void Shapes_are_right_and_classes_balanced(string name, int count, int classes)
    {
        var data = Synthetic.Create(name, count, seed: 7);
        Assert.Equal((count, 2, classes), (data.Count, data.FeatureCount, data.Classes));
        Assert.Equal(classes, data.ClassNames!.Count);
        var sizes = Enumerable.Range(0, classes).Select(k => data.Labels!.Count(y => y == k)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(", ", sizes));
        Assert.All(data.Features, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Spirals_have_one_class_per_arm()
    {
        var data = Synthetic.Spirals(300, seed: 1, arms: 3);
        Assert.Equal(3, data.Classes);
        Assert.All(Enumerable.Range(0, 3), k => Assert.Equal(100, data.Labels!.Count(y => y == k)));
    }

    [Fact]
    public void Rows_are_shuffled_so_a_prefix_holds_both_classes()
    {
        var data = Synthetic.Circles(1000, seed: 3);
        Assert.Contains(0, data.Labels!.Take(20));
        Assert.Contains(1, data.Labels!.Take(20));
    }

    [Fact]
    public void Circles_without_noise_lie_on_their_rings()
    {
        var data = Synthetic.Circles(50, seed: 5, noise: 0, factor: 0.3);
        for (var r = 0; r < data.Count; r++)
        {
            var p = data.Row(r);
            var radius = Math.Sqrt(p[0] * p[0] + p[1] * p[1]);
            Assert.Equal(data.Labels![r] == 0 ? 1.0 : 0.3, radius, 5);
        }
    }

    [Fact]
    public void Xor_without_noise_is_labelled_by_the_signs()
    {
        var data = Synthetic.Xor(200, seed: 9, noise: 0);
        for (var r = 0; r < data.Count; r++)
            Assert.Equal(Math.Sign(data.Row(r)[0]) != Math.Sign(data.Row(r)[1]) ? 1 : 0, data.Labels![r]);
    }

    [Fact]
    public void Unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Synthetic.Create("blobs", 10, 1));
        Assert.Contains("circles, moons, spirals, xor", e.Message);
        Assert.Equal(2, Synthetic.Create("CIRCLES", 10, 1).Classes);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(10, 1, noise: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(10, 1, noise: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(10, 1, factor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Spirals(10, 1, arms: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Xor(3, 1));
    }

    /// <summary>The promise of the default noises: a small MLP learns each set, a linear model
    /// does not learn circles or xor.</summary>
    [Theory]
    [InlineData("circles", 16, 0.97, 0.65)]
    [InlineData("xor", 16, 0.97, 0.65)]
    [InlineData("moons", 16, 0.97, 0.92)]
    [InlineData("spirals", 32, 0.95, 0.75)]
    public void Default_noise_is_learnable_by_an_mlp_and_not_by_a_line(string name, int hidden, double mlpAtLeast, double linearAtMost)
    {
        var (train, test) = Synthetic.Create(name, 1000, seed: 11).Split(0.3, seed: 11);
        var mlp = new TinyClassifier(2, hidden, train.Classes, seed: 1);
        mlp.Train(train, steps: 1500, learningRate: 0.03);
        var linear = new TinyClassifier(2, 0, train.Classes, seed: 1);
        linear.Train(train, steps: 500, learningRate: 0.05);
        var (mlpAccuracy, linearAccuracy) = (mlp.Accuracy(test), linear.Accuracy(test));
        Assert.True(mlpAccuracy >= mlpAtLeast, $"{name}: MLP test accuracy {mlpAccuracy:P1}");
        Assert.True(linearAccuracy <= linearAtMost, $"{name}: linear test accuracy {linearAccuracy:P1}");
    }
}

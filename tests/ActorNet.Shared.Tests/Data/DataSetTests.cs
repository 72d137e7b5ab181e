using ActorNet.Data;
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
}

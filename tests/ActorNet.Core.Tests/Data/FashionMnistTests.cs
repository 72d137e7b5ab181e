using ActorNet.Data;
using Xunit;

namespace ActorNet.Tests.Data;

/// <summary>The real thing: Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) as Debian's package
/// dataset-fashion-mnist installs it, the four gzipped IDX files in MNIST's layout.</summary>
public sealed class FashionMnistTests
{
    private const string Directory = "/usr/share/datasets/fashion-mnist";

    [SkippableFact]
    public void Loads_the_Debian_package_files()
    {
        Skip.IfNot(System.IO.Directory.Exists(Directory),
            $"{Directory} is absent: install Debian's package dataset-fashion-mnist (apt-get install -y dataset-fashion-mnist) to run this test");
        var (train, test) = Idx.LoadMnistDirectory(Directory);

        Assert.Equal((60_000, 784, 10), (train.Count, train.FeatureCount, train.Classes));
        Assert.True(train.IsBytes && test.IsBytes); // 47 MB of pixels, not 188 MB of floats
        Assert.Equal((10_000, 784, 10), (test.Count, test.FeatureCount, test.Classes));
        // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(6_000, train.Labels!.Count(y => y == k)));
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(1_000, test.Labels!.Count(y => y == k)));
        Assert.Equal((0f, 255f), (train.Features.Min(), train.Features.Max()));
        Assert.Equal(1f, Scaler.Fit(train, ScalingKind.UnitRange).Apply(test).Features.Max(), 6);
    }
}

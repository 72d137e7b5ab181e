using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class DataCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private RunSpec Spec(Precision precision) => new()
    {
        Name = "tenths",
        Precision = precision,
        Data = new DataSpec { Train = _dir.WriteText("tenths.csv", "0.1,a\n0.2,b\n0.3,a\n0.7,b\n1.1,a\n"), Scaling = "minMax" },
        Layers = [new LayerSpec { Size = 2, Activation = Activation.Softmax }],
        Loss = Loss.SoftmaxCrossEntropy,
        Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.1),
    };

    [Fact]
    public void A_float32_and_a_float64_run_of_one_file_each_get_the_data_in_their_own_precision()
    {
        var float32 = DataCache.Get(Spec(Precision.Float32), baseDirectory: null);
        var float64 = DataCache.Get(Spec(Precision.Float64), baseDirectory: null);
        Assert.NotSame(float32, float64);
        Assert.Equal((Precision.Float32, Precision.Float32), (float32.Train.Precision, float32.Test.Precision));
        Assert.Equal((Precision.Float64, Precision.Float64), (float64.Train.Precision, float64.Test.Precision));
        Assert.NotEqual(float32.TrainSha256, float64.TrainSha256);
        Assert.Same(float64, DataCache.Get(Spec(Precision.Float64), baseDirectory: null)); // and each is loaded once
        Assert.Same(float32, DataCache.Get(Spec(Precision.Float32), baseDirectory: null));
    }
}

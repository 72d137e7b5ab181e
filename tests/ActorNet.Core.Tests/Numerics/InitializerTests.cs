using System.Numerics;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

public sealed class InitializerTestsSingle : InitializerTests<float>;

public sealed class InitializerTestsDouble : InitializerTests<double>;

public abstract class InitializerTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [InlineData(Initializer.GlorotUniform)]
    [InlineData(Initializer.GlorotNormal)]
    [InlineData(Initializer.HeUniform)]
    [InlineData(Initializer.HeNormal)]
    public void Same_seed_gives_same_weights_and_another_seed_does_not(Initializer initializer)
    {
        var a = new T[60];
        var b = new T[60];
        var c = new T[60];
        Initializers.Fill<T>(initializer, a, 10, 6, new Rng(42));
        Initializers.Fill<T>(initializer, b, 10, 6, new Rng(42));
        Initializers.Fill<T>(initializer, c, 10, 6, new Rng(43));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    // (fanOut, fanIn) = (1000, 1000): 10^6 samples, so the mean's standard error is σ/1000 and the
    // variance's about 0.14% (normal) or 0.09% (uniform); 5σ/1000 and 2% leave no room for flakiness
    // but catch any wrong constant (the nearest mistakes are factors of 2 or 3).
    // (fanOut, fanIn) = (100, 400) tells He's fanIn from a fanOut or fanIn + fanOut mix-up (factors
    // 4 and 1.25) with 4·10^4 samples (variance standard error ≤ 0.7%, so 5% is 7σ) to stay fast.
    [Theory]
    [InlineData(Initializer.GlorotUniform, 1000, 1000, 2.0 / 2000, 0.02)]
    [InlineData(Initializer.GlorotNormal, 1000, 1000, 2.0 / 2000, 0.02)]
    [InlineData(Initializer.HeUniform, 1000, 1000, 2.0 / 1000, 0.02)]
    [InlineData(Initializer.HeNormal, 1000, 1000, 2.0 / 1000, 0.02)]
    [InlineData(Initializer.GlorotUniform, 400, 100, 2.0 / 500, 0.05)]
    [InlineData(Initializer.GlorotNormal, 400, 100, 2.0 / 500, 0.05)]
    [InlineData(Initializer.HeUniform, 400, 100, 2.0 / 400, 0.05)]
    [InlineData(Initializer.HeNormal, 400, 100, 2.0 / 400, 0.05)]
    public void Sample_mean_and_variance_match_the_formula(Initializer initializer, int fanIn, int fanOut, double variance, double tolerance)
    {
        var w = new T[fanIn * fanOut];
        Initializers.Fill<T>(initializer, w, fanIn, fanOut, new Rng(5));
        double sum = 0, sumSq = 0;
        for (var i = 0; i < w.Length; i++)
        {
            var d = double.CreateChecked(w[i]);
            sum += d;
            sumSq += d * d;
        }
        var mean = sum / w.Length;
        var sampleVariance = sumSq / w.Length - mean * mean;
        var meanBound = 5 * Math.Sqrt(variance / w.Length);
        Assert.InRange(mean, -meanBound, meanBound);
        Assert.InRange(sampleVariance / variance, 1 - tolerance, 1 + tolerance);
    }

    [Theory]
    [InlineData(Initializer.GlorotUniform, 300, 100, 6.0 / 400)]
    [InlineData(Initializer.HeUniform, 300, 100, 6.0 / 300)]
    public void Uniform_weights_stay_within_the_bound_and_fill_it(Initializer initializer, int fanIn, int fanOut, double limitSquared)
    {
        var w = new T[fanIn * fanOut];
        Initializers.Fill<T>(initializer, w, fanIn, fanOut, new Rng(9));
        var limit = T.CreateChecked(Math.Sqrt(limitSquared));
        T min = T.Zero, max = T.Zero;
        foreach (var x in w)
        {
            min = T.Min(min, x);
            max = T.Max(max, x);
        }
        Assert.True(max <= limit && min >= -limit, $"weights span [{min}, {max}], outside ±{limit}");
        var near = T.CreateChecked(0.999) * limit;
        Assert.True(max > near && min < -near, $"weights span [{min}, {max}], not filling ±{limit}");
    }

    [Fact]
    public void Zeros_overwrites_everything()
    {
        var w = Enumerable.Repeat(T.One, 12).ToArray();
        Initializers.Fill<T>(Initializer.Zeros, w, 4, 3, new Rng(1));
        Assert.All(w, x => Assert.Equal(T.Zero, x));
    }

    [Fact]
    public void Arguments_are_validated()
    {
        var ex = Assert.Throws<ArgumentException>(() => Initializers.Fill<T>(Initializer.HeNormal, new T[11], 4, 3, new Rng(1)));
        Assert.Equal("weights", ex.ParamName);
        Assert.Contains("expected 12", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<T>(Initializer.HeNormal, new T[0], 0, 3, new Rng(1)));
        Assert.Throws<ArgumentNullException>(() => Initializers.Fill<T>(Initializer.HeNormal, new T[12], 4, 3, null!));
    }
}

using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

/// <summary>Spec names: the exact lists other code is written against, round trips, aliases and refusals.</summary>
public sealed class NameTests
{
    [Fact]
    public void Names_are_the_spec_names_in_enum_order()
    {
        Assert.Equal(["identity", "logistic", "tanh", "relu", "leakyRelu", "elu", "softplus", "softmax"], Activations.Names);
        Assert.Equal(["sse", "mse", "softmaxCrossEntropy", "binaryCrossEntropy"], Losses.Names);
        Assert.Equal(["glorotUniform", "glorotNormal", "heUniform", "heNormal", "zeros"], Initializers.Names);
        Assert.Equal(["sgd", "momentum", "adam"], OptimizerSettings.KindNames);
        Assert.Equal(Enum.GetValues<Activation>().Length, Activations.Names.Count);
        Assert.Equal(Enum.GetValues<Loss>().Length, Losses.Names.Count);
        Assert.Equal(Enum.GetValues<Initializer>().Length, Initializers.Names.Count);
        Assert.Equal(Enum.GetValues<OptimizerKind>().Length, OptimizerSettings.KindNames.Count);
    }

    [Fact]
    public void Every_name_round_trips_in_any_case()
    {
        foreach (var a in Enum.GetValues<Activation>())
        {
            var name = Activations.Name(a);
            Assert.Equal(name, Activations.Names[(int)a]);
            Assert.True(Activations.TryParse(name, out var parsed) && parsed == a, name);
            Assert.True(Activations.TryParse(name.ToUpperInvariant(), out parsed) && parsed == a, name);
        }
        foreach (var l in Enum.GetValues<Loss>())
        {
            var name = Losses.Name(l);
            Assert.True(Losses.TryParse(name, out var parsed) && parsed == l, name);
            Assert.True(Losses.TryParse(name.ToUpperInvariant(), out parsed) && parsed == l, name);
        }
        foreach (var i in Enum.GetValues<Initializer>())
        {
            var name = Initializers.Name(i);
            Assert.True(Initializers.TryParse(name, out var parsed) && parsed == i, name);
            Assert.True(Initializers.TryParse(name.ToLowerInvariant(), out parsed) && parsed == i, name);
        }
        foreach (var k in Enum.GetValues<OptimizerKind>())
        {
            var name = OptimizerSettings.KindName(k);
            Assert.True(OptimizerSettings.TryParseKind(name, out var parsed) && parsed == k, name);
            Assert.True(OptimizerSettings.TryParseKind(name.ToUpperInvariant(), out parsed) && parsed == k, name);
        }
    }

    [Theory]
    [InlineData("sigmoid", Activation.Logistic)]
    [InlineData("Sigmoid", Activation.Logistic)]
    [InlineData("leaky_relu", Activation.LeakyRelu)]
    [InlineData("leakyrelu", Activation.LeakyRelu)]
    [InlineData("LEAKYRELU", Activation.LeakyRelu)]
    [InlineData("SoftMax", Activation.Softmax)]
    public void Activation_aliases(string name, Activation expected)
    {
        Assert.True(Activations.TryParse(name, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("crossEntropy", Loss.SoftmaxCrossEntropy)]
    [InlineData("cross_entropy", Loss.SoftmaxCrossEntropy)]
    [InlineData("bce", Loss.BinaryCrossEntropy)]
    [InlineData("BCE", Loss.BinaryCrossEntropy)]
    [InlineData("SSE", Loss.HalfSumSquares)]
    public void Loss_aliases(string name, Loss expected)
    {
        Assert.True(Losses.TryParse(name, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("glorot", Initializer.GlorotUniform)]
    [InlineData("xavier", Initializer.GlorotUniform)]
    [InlineData("Xavier", Initializer.GlorotUniform)]
    [InlineData("he", Initializer.HeNormal)]
    [InlineData("he_uniform", Initializer.HeUniform)]
    public void Initializer_aliases(string name, Initializer expected)
    {
        Assert.True(Initializers.TryParse(name, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("_")]
    [InlineData("relu6")]
    [InlineData("rel")]
    [InlineData("gelu")]
    [InlineData("soft max")]
    [InlineData("adam")]
    public void Unknown_activation_names_fail(string name)
    {
        Assert.False(Activations.TryParse(name, out _));
    }

    [Fact]
    public void Unknown_names_fail_for_every_kind()
    {
        Assert.False(Activations.TryParse(null!, out _));
        Assert.False(Losses.TryParse("hinge", out _));
        Assert.False(Losses.TryParse("entropy", out _));
        Assert.False(Losses.TryParse(null!, out _));
        Assert.False(Initializers.TryParse("orthogonal", out _));
        Assert.False(Initializers.TryParse("hee", out _));
        Assert.False(Initializers.TryParse(null!, out _));
        Assert.False(OptimizerSettings.TryParseKind("rmsprop", out _));
        Assert.False(OptimizerSettings.TryParseKind("nesterov", out _));
        Assert.False(OptimizerSettings.TryParseKind(null!, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Name((Activation)99));
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Name((Loss)99));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Name((Initializer)99));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSettings.KindName((OptimizerKind)99));
    }

    [Fact]
    public void Optimizer_settings_defaults_are_the_documented_ones()
    {
        var s = new OptimizerSettings(OptimizerKind.Adam, 0.001);
        Assert.Equal((0.9, false, 0.9, 0.999, 1e-8, 0.0), (s.Momentum, s.Nesterov, s.Beta1, s.Beta2, s.Epsilon, s.WeightDecay));
        Assert.Null(s.Check());
        Assert.Equal(s, new OptimizerSettings(OptimizerKind.Adam, 0.001));   // value equality, as a record
    }
}

using ActorNet.Training;
using Xunit;

namespace ActorNet.Tests.Training;

/// <summary>The article's worked example, through the layer actors, against the article's numbers.</summary>
public sealed class BackpropExampleTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Reproduces_the_articles_numbers()
    {
        var r = await BackpropExample.RunAsync(Sys);

        Near(0.593269992, r.Outputs["h1"]);
        Near(0.596884378, r.Outputs["h2"]);
        Near(0.75136507, r.Outputs["o1"]);
        Near(0.772928465, r.Outputs["o2"]);
        Near(0.298371109, r.TotalError);

        // ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5
        Near(0.74136507, r.W5Factors[0]);
        Near(0.186815602, r.W5Factors[1]);
        Near(0.593269992, r.W5Factors[2]);
        // ∂E/∂w1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1 · ∂net_h1/∂w1
        Near(0.036350306, r.W1Factors[0]);
        Near(0.241300709, r.W1Factors[1]);
        Near(0.05, r.W1Factors[2]);

        Near(0.082167041, r.Gradients[4]);
        Near(0.000438568, r.Gradients[0]);

        double[] updated = [0.149780716, 0.19956143, 0.24975114, 0.29950229, 0.35891648, 0.408666186, 0.511301270, 0.561370121];
        for (var i = 0; i < 8; i++) Near(updated[i], r.UpdatedWeights[i], $"w{i + 1}");

        Near(0.291027774, r.ErrorAfter1);
        Assert.Equal(10000, r.Updates);
        Assert.InRange(r.ErrorAfter10000, 3.5102e-5 * 0.995, 3.5102e-5 * 1.005);
    }

    /// <summary>The article prints nine digits; 1e-8 allows for its rounding and no more.</summary>
    private static void Near(double expected, double actual, string? what = null) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-8, $"{what}: expected {expected}, got {actual:R}");
}

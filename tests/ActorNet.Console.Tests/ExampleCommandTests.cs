using System.Text.Json;
using Xunit;

namespace ActorNet.Cli.Tests;

public sealed class ExampleCommandTests
{
    [Fact]
    public async Task Backprop_json_prints_the_articles_numbers()
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(2), "example", "backprop", "--json");
        Assert.True(code == 0, stderr);
        var lines = stdout.Trim().Split('\n');
        Assert.True(lines.Length == 1, "stdout should be one JSON line, but was:\n" + stdout);
        using var doc = JsonDocument.Parse(lines[0]);
        var r = doc.RootElement;
        Near(0.75136507, r.GetProperty("outputs").GetProperty("o1").GetDouble());
        Near(0.772928465, r.GetProperty("outputs").GetProperty("o2").GetDouble());
        Near(0.593269992, r.GetProperty("outputs").GetProperty("h1").GetDouble());
        Near(0.298371109, r.GetProperty("totalError").GetDouble());
        Near(0.082167041, r.GetProperty("gradients").GetProperty("w5").GetDouble());
        Near(0.35891648, r.GetProperty("updatedWeights").GetProperty("w5").GetDouble());
        Near(0.408666186, r.GetProperty("updatedWeights").GetProperty("w6").GetDouble());
        Near(0.511301270, r.GetProperty("updatedWeights").GetProperty("w7").GetDouble());
        Near(0.561370121, r.GetProperty("updatedWeights").GetProperty("w8").GetDouble());
        Near(0.149780716, r.GetProperty("updatedWeights").GetProperty("w1").GetDouble());
        Near(0.19956143, r.GetProperty("updatedWeights").GetProperty("w2").GetDouble());
        Near(0.24975114, r.GetProperty("updatedWeights").GetProperty("w3").GetDouble());
        Near(0.29950229, r.GetProperty("updatedWeights").GetProperty("w4").GetDouble());
        Near(0.291027774, r.GetProperty("errorAfter1").GetDouble());
        Assert.InRange(r.GetProperty("errorAfter10000").GetDouble(), 3.5102e-5 * 0.995, 3.5102e-5 * 1.005);
    }

    [Fact]
    public async Task Backprop_walks_through_the_chain_rule_in_words()
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(2), "example", "backprop");
        Assert.True(code == 0, stderr);
        Assert.Contains("E_total = ½·Σ(target − out)² = 0.298371109", stdout);
        Assert.Contains("∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.741365070 · 0.186815602 · 0.593269992 = 0.082167041", stdout);
        Assert.Contains("Error after 1 update: 0.291027774", stdout);
    }

    private static void Near(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-8, $"expected {expected}, got {actual:R}");
}

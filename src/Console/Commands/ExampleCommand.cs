using System.CommandLine;
using System.Text.Json;
using ActorNet.Hosting;
using ActorNet.Training;
using Spectre.Console;

namespace ActorNet.Cli.Commands;

/// <summary><c>actornet example backprop</c>: the article's worked example, computed by the actors.</summary>
internal static class ExampleCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the numbers as one JSON object" };
        var backprop = new Command("backprop", "The article's 2-2-2 network: forward pass, chain rule, one update, 10,000 updates") { json };
        backprop.SetAction((parse, cancellation) => RunAsync(parse.GetValue(json), cancellation));
        return new Command("example", "Worked examples") { backprop };
    }

    private static async Task<int> RunAsync(bool json, CancellationToken cancellation)
    {
        var result = json ? ResultOutput.Reserve() : Console.Out;
        NodeHost node;
        try
        {
            // 10,000 one-sample epochs: their progress is not worth 10,000 log lines.
            node = await NodeHost.StartAsync(NodeRole.InProcess("example", journals: false, Serilog.Events.LogEventLevel.Warning), cancellation: cancellation);
        }
        catch (NodeSettingsException e)
        {
            return NodeStartup.Refuse("example", e);
        }
        await using var stopNode = node;
        var r = await BackpropExample.RunAsync(node.System, cancellation);
        if (json) result.WriteLine(ToJson(r));
        else Print(r);
        return 0;
    }

    private static string ToJson(BackpropReport r)
    {
        var names = Enumerable.Range(1, 8).Select(i => $"w{i}").ToArray();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["outputs"] = r.Outputs,
            ["totalError"] = r.TotalError,
            ["gradients"] = names.Zip(r.Gradients).ToDictionary(p => p.Item1, p => p.Item2),
            ["updatedWeights"] = names.Zip(r.UpdatedWeights).ToDictionary(p => p.Item1, p => p.Item2),
            ["errorAfter1"] = r.ErrorAfter1,
            ["errorAfter10000"] = r.ErrorAfter10000,
        });
    }

    private static void Print(BackpropReport r)
    {
        // Plain lines (Spectre would wrap the long formulas at the terminal's width).
        var c = Console.Out;
        c.WriteLine("The forward pass (inputs 0.05, 0.10; targets 0.01, 0.99)");
        foreach (var (name, value) in r.Outputs) c.WriteLine($"  out_{name} = {value:F9}");
        c.WriteLine($"  E_total = ½·Σ(target − out)² = {r.TotalError:F9}");
        c.WriteLine();
        c.WriteLine("The chain rule");
        c.WriteLine($"  ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = {r.W5Factors[0]:F9} · {r.W5Factors[1]:F9} · {r.W5Factors[2]:F9} = {r.Gradients[4]:F9}");
        c.WriteLine($"  ∂E/∂w1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1 · ∂net_h1/∂w1 = {r.W1Factors[0]:F9} · {r.W1Factors[1]:F9} · {r.W1Factors[2]:F9} = {r.Gradients[0]:F9}");
        c.WriteLine();
        var table = new Table().AddColumns("weight", "∂E/∂w", "after one update (η = 0.5)");
        for (var i = 0; i < 8; i++) table.AddRow($"w{i + 1}", $"{r.Gradients[i]:F9}", $"{r.UpdatedWeights[i]:F9}");
        AnsiConsole.Write(table);
        c.WriteLine($"Error after 1 update: {r.ErrorAfter1:F9}");
        c.WriteLine($"Error after {r.Updates:N0} updates: {r.ErrorAfter10000:G6}");
    }
}

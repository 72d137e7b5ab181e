using System.Diagnostics;
using System.Text.Json;

namespace ActorNet.Cli.Bench;

/// <summary>Runs the PyTorch peer (bench/peer/pytorch.sh, which installs Debian's python3-torch
/// when missing) on the same data, network and recipe, and reads its result line.</summary>
internal static class PeerRunner
{
    public static async Task<CaseResult> RunAsync(string? data, int batch, int epochs, int? samples, int threads, double? target)
    {
        var script = Script();
        var psi = new ProcessStartInfo("bash");
        foreach (var a in (string[])[script, "--batch", $"{batch}", "--epochs", $"{epochs}", "--threads", $"{threads}"]) psi.ArgumentList.Add(a);
        psi.AddOption("--data", data);
        psi.AddOption("--target", target);
        psi.AddOption("--max-train", samples);
        var line = await ChildProcess.RunForLastLineAsync(psi, "the PyTorch peer");
        var r = JsonDocument.Parse(line).RootElement;
        var sps = r.GetProperty("samplesPerSecond").GetDouble();
        return new CaseResult("pytorch", batch, sps, r.GetProperty("cpuSecondsPer1000").GetDouble(),
            Steps: 0, BytesSentPerStep: null, AllocatedBytesPerStep: null, Collections: null,
            r.GetProperty("peakRssBytes").GetInt64(), r.GetProperty("testAccuracy").GetDouble(),
            target is null || r.GetProperty("secondsToTarget").ValueKind == JsonValueKind.Null ? null : r.GetProperty("secondsToTarget").GetDouble(),
            target is null || r.GetProperty("epochsToTarget").ValueKind == JsonValueKind.Null ? null : r.GetProperty("epochsToTarget").GetInt32());
    }

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "peer", "pytorch.sh");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("--peer: bench/peer/pytorch.sh is not in the source tree this console was built in");
    }
}

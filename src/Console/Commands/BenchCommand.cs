using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ActorNet.Cli.Bench;
using ActorNet.Data;
using ActorNet.Model;
using Spectre.Console;

namespace ActorNet.Cli.Commands;

/// <summary>
/// <c>actornet bench</c>: trains Fashion-MNIST's 784-256-128-10 network the ways ActorNet can,
/// side by side in one invocation, each case in a process of its own: the plain loop over the
/// kernels (the floor), one replica through the layer actors as <c>local</c> trains, the same
/// with the first layer split into four neuron-group actors, a coordinator with 1 and with 2
/// worker processes on loopback; with <c>--peer</c>, PyTorch on the same data and recipe.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] AllCases = ["plain", "actors", "groups", "cluster-1", "cluster-2"];

    public static Command Create()
    {
        var batches = new Option<string>("--batches") { Description = "global batch sizes, comma-separated", DefaultValueFactory = _ => "64,256,1024" };
        var cases = new Option<string>("--cases") { Description = $"cases to run, comma-separated: {string.Join(", ", AllCases)}", DefaultValueFactory = _ => string.Join(",", AllCases) };
        var epochs = new Option<int>("--epochs") { Description = "epochs per case; the first warms up and is not measured", DefaultValueFactory = _ => 3 };
        var samples = new Option<int?>("--samples") { Description = "train on this many samples of the training set (default all)" };
        var data = new Option<string?>("--data") { Description = $"folder of Fashion-MNIST's IDX files (default {BenchSetup.FashionMnist}; a synthetic set of the same shape when it is missing)" };
        var peer = new Option<bool>("--peer") { Description = "also train with PyTorch (bench/peer/pytorch.sh; installs Debian's python3-torch when missing) and give the ratios" };
        var threads = new Option<int>("--peer-threads") { Description = "threads PyTorch may use", DefaultValueFactory = _ => 1 };
        var target = new Option<double?>("--target")
            { Description = "also measure the time to this test accuracy (0 to 1) in the plain, actors and groups cases and the peer; give --epochs enough to reach it" };
        var model = new Option<FileInfo?>("--model")
            { Description = "draw the scaling model (1 to 64 workers, 10 and 25 Gbit/s) from the plain loop's compute time at the largest batch, with the cluster cases measured, into this PNG" };
        var repeats = new Option<int>("--repeats")
            { Description = "run every case this many times, the cases of a batch size one after the other each time, and report each figure's median", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print only one JSON document with every figure" };
        var command = new Command("bench", "Measure training speed: plain loop, layer actors, neuron groups, cluster, and PyTorch side by side")
            { batches, cases, epochs, samples, data, peer, threads, target, model, repeats, json };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(batches)!, parse.GetValue(cases)!, parse.GetValue(epochs), parse.GetValue(samples),
            parse.GetValue(data), parse.GetValue(peer), parse.GetValue(threads), parse.GetValue(target), parse.GetValue(model), parse.GetValue(repeats),
            parse.GetValue(json)));
        return command;
    }

    /// <summary>The hidden command a case runs in: <c>actornet bench-case CASE ...</c>; prints its result as one JSON line.</summary>
    public static Command CreateCase()
    {
        var name = new Argument<string>("case");
        var batch = new Option<int>("--batch");
        var epochs = new Option<int>("--epochs");
        var samples = new Option<int?>("--samples");
        var data = new Option<string>("--data");
        var work = new Option<string>("--work");
        var target = new Option<double?>("--target");
        var command = new Command("bench-case", "One case of actornet bench") { name, batch, epochs, samples, data, work, target };
        command.Hidden = true;
        command.SetAction(async (parse, _) =>
        {
            var output = ResultOutput.Reserve();
            var (c, b, e, s, d, w) = (parse.GetValue(name)!, parse.GetValue(batch), parse.GetValue(epochs), parse.GetValue(samples), parse.GetValue(data)!, parse.GetValue(work)!);
            try
            {
                var result = c switch
                {
                    "plain" or "actors" or "groups" => await LocalCases.RunAsync(c, d, b, e, s, w, parse.GetValue(target)),
                    "cluster-1" => await ClusterCase.RunAsync(1, d, b, e, s, w),
                    "cluster-2" => await ClusterCase.RunAsync(2, d, b, e, s, w),
                    _ => throw new ArgumentException($"unknown case '{c}'"),
                };
                output.WriteLine(JsonSerializer.Serialize(result));
                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or HttpRequestException)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string batchList, string caseList, int epochs, int? samples, string? data, bool peer, int peerThreads,
        double? target, FileInfo? model, int repeats, bool json)
    {
        int[] batches;
        string[] cases;
        try
        {
            batches = batchList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(b => int.TryParse(b, out var v) && v >= 1 ? v : throw new ArgumentException($"--batches: '{b}' is not a batch size (a whole number ≥ 1)")).ToArray();
            cases = caseList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (cases.FirstOrDefault(c => !AllCases.Contains(c)) is { } unknown)
                throw new ArgumentException($"--cases: unknown '{unknown}' (expected any of: {string.Join(", ", AllCases)})");
            if (batches.Length == 0 || cases.Length == 0) throw new ArgumentException("--batches and --cases: give at least one of each");
            if (epochs < 2) throw new ArgumentException($"--epochs: at least 2 (the first warms up and is not measured), found {epochs}");
            if (samples is < 1) throw new ArgumentException($"--samples: at least 1, found {samples}");
            if (peerThreads < 1) throw new ArgumentException($"--peer-threads: at least 1, found {peerThreads}");
            if (repeats < 1) throw new ArgumentException($"--repeats: at least 1, found {repeats}");
            if (target is not (null or (> 0 and <= 1))) throw new ArgumentException($"--target: a test accuracy above 0 and at most 1, found {target}");
            if (model is not null && !cases.Contains("plain"))
                throw new ArgumentException("--model: the model needs the plain loop's compute time: add plain to --cases");
            if (data is not null && !Directory.Exists(data)) throw new ArgumentException($"--data: no folder {data}");
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("actornet-bench-");
        try
        {
            var note = "";
            if (data is null && Directory.Exists(BenchSetup.FashionMnist)) data = BenchSetup.FashionMnist;
            else if (data is null)
            {
                data = BenchSetup.WriteSynthetic(Path.Combine(work.FullName, "synthetic"));
                note = $"{BenchSetup.FashionMnist} is missing (apt-get install dataset-fashion-mnist): a synthetic set of the same shape was used; its accuracies mean nothing";
                if (!json) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
            }
            var flops = BenchSetup.FlopsPerSample(ModelLayout.From(BenchSetup.Spec(data, 1, 2, samples), 784));
            // Neighbours in time are compared: each repeat runs a batch size's cases one after the other.
            var runs = new List<CaseResult>();
            var plan = batches.SelectMany(b => Enumerable.Range(0, repeats).SelectMany(_ => cases.Select(c => (Case: c, Batch: b)).Concat(peer ? [("pytorch", b)] : [])))
                .ToArray();
            for (var i = 0; i < plan.Length; i++)
            {
                var (c, b) = plan[i];
                if (!json) Console.Error.WriteLine($"[{i + 1}/{plan.Length}] {c}, batch {b}…");
                runs.Add(c == "pytorch"
                    ? await PeerRunner.RunAsync(data, b, epochs, samples, peerThreads, target)
                    : await RunCaseAsync(c, b, epochs, samples, data, work.FullName, target));
            }
            var results = runs.GroupBy(r => (r.Case, r.Batch)).Select(g => Median(g.ToArray())).ToArray();
            var report = new BenchReport(DateTimeOffset.Now, Environment.MachineName, Environment.ProcessorCount, Cpu(), data, note, epochs, samples, repeats, target,
                flops, results, repeats > 1 ? runs : []);
            if (model is not null) report = report with { Model = DrawModel(model.FullName, report) };
            if (json) Console.Out.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            else Print(report);
            return 0;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"bench: {e.Message}");
            return 1;
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<CaseResult> RunCaseAsync(string name, int batch, int epochs, int? samples, string data, string work, double? target)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        foreach (var a in (string[])["bench-case", name, "--batch", $"{batch}", "--epochs", $"{epochs}", "--data", data, "--work", work])
            psi.ArgumentList.Add(a);
        psi.AddOption("--samples", samples);
        psi.AddOption("--target", target);
        var line = await ChildProcess.RunForLastLineAsync(psi, $"case {name} at batch {batch}");
        return JsonSerializer.Deserialize<CaseResult>(line)!;
    }

    /// <summary>The scaling model drawn from the plain loop at the largest batch and the 784-256-128-10
    /// network's float32 parameters, with the cluster cases at that batch; what it predicts, for the report.</summary>
    private static ModelSummary DrawModel(string path, BenchReport report)
    {
        var batch = report.Results.Where(r => r.Case == "plain").Max(r => r.Batch);
        var secondsPerSample = 1 / report.Results.Single(r => r.Case == "plain" && r.Batch == batch).SamplesPerSecond;
        var parameterBytes = 4.0 * ModelLayout.From(BenchSetup.Spec(report.Data, batch, 2, null), 784).ParameterCount;
        var measured = report.Results.Where(r => r.Batch == batch && r.Case.StartsWith("cluster-", StringComparison.Ordinal))
            .Select(r => (int.Parse(r.Case["cluster-".Length..]), r.SamplesPerSecond, "measured: coordinator and workers on loopback, this machine")).ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ScalingModel.Plot(path, batch, secondsPerSample, parameterBytes, measured);
        return new ModelSummary(path, batch, secondsPerSample, parameterBytes,
            ScalingModel.LinkBoundFrom(batch, secondsPerSample, parameterBytes, 10e9 / 8), ScalingModel.LinkBoundFrom(batch, secondsPerSample, parameterBytes, 25e9 / 8));
    }

    private static void Print(BenchReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("case", "batch", "samples/s", "GFLOP/s", "÷ plain", "÷ PyTorch", "CPU s/1k", "sent/step", "alloc/step", "GC 0/1/2", "peak RSS", "accuracy");
        if (report.Target is not null) table.AddColumn($"s to {report.Target:P0}");
        foreach (var c in table.Columns.Skip(1)) c.RightAligned();
        foreach (var r in report.Results)
        {
            var plain = report.Results.FirstOrDefault(p => p.Case == "plain" && p.Batch == r.Batch);
            var torch = report.Results.FirstOrDefault(p => p.Case == "pytorch" && p.Batch == r.Batch);
            List<string> cells =
            [
                r.Case, $"{r.Batch}", $"{r.SamplesPerSecond:N0}", $"{r.SamplesPerSecond * report.FlopsPerSample / 1e9:F1}",
                plain is null ? "" : $"{r.SamplesPerSecond / plain.SamplesPerSecond:P0}",
                torch is null ? "" : $"{r.SamplesPerSecond / torch.SamplesPerSecond:F2}×",
                $"{r.CpuSecondsPer1000:F3}", r.BytesSentPerStep is { } b ? $"{b:N0}" : "—",
                r.AllocatedBytesPerStep is { } a ? $"{a:N0}" : "—",
                r.Collections is { } g ? string.Join('/', g) : "—", $"{r.PeakRssBytes / 1048576.0:N0} MiB",
                double.IsNaN(r.TestAccuracy) ? "" : $"{r.TestAccuracy:P2}",
            ];
            if (report.Target is not null) cells.Add(r.SecondsToTarget is { } t ? $"{t:F1} (epoch {r.EpochsToTarget})" : "—");
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{report.Date:yyyy-MM-dd HH:mm} on {report.Machine} ({report.Cores} cores, {report.Cpu}); {report.Data}, epochs 2 to {report.Epochs} of each case " +
            $"measured{(report.Samples is { } s ? $", {s:N0} training samples" : "")}{(report.Repeats > 1 ? $", medians of {report.Repeats} runs" : "")}; " +
            $"{report.FlopsPerSample / 1e6:F3} MFLOP per sample."));
        if (report.Note.Length > 0) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(report.Note)}[/]");
        if (report.Model is { } m)
            AnsiConsole.MarkupLine(Markup.Escape(
                $"Scaling model ({m.Path}): at batch {m.Batch}, {m.SecondsPerSample * 1e6:F1} µs per sample per core and {m.ParameterBytes / 1e6:F2} MB of parameters, " +
                $"the coordinator's link takes longer per step than a worker's compute from {m.LinkBoundAt10Gbit} workers on 10 Gbit/s and {m.LinkBoundAt25Gbit} on 25 Gbit/s."));
    }

    private static string Cpu()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    /// <summary>Each figure's median over the repeats of one case (so the row need not be any one run).</summary>
    private static CaseResult Median(CaseResult[] r)
    {
        static double M(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        double? N(Func<CaseResult, double?> f) => r.All(x => f(x) is not null) ? M(r.Select(x => f(x)!.Value)) : null;
        var first = r[0];
        return first with
        {
            SamplesPerSecond = M(r.Select(x => x.SamplesPerSecond)),
            CpuSecondsPer1000 = M(r.Select(x => x.CpuSecondsPer1000)),
            BytesSentPerStep = N(x => x.BytesSentPerStep),
            AllocatedBytesPerStep = N(x => x.AllocatedBytesPerStep),
            Collections = first.Collections is null ? null : Enumerable.Range(0, 3).Select(g => (int)M(r.Select(x => (double)x.Collections![g]))).ToArray(),
            PeakRssBytes = (long)M(r.Select(x => (double)x.PeakRssBytes)),
            TestAccuracy = M(r.Select(x => x.TestAccuracy)),
            SecondsToTarget = N(x => x.SecondsToTarget),
            EpochsToTarget = r.All(x => x.EpochsToTarget is not null) ? (int)M(r.Select(x => (double)x.EpochsToTarget!.Value)) : null,
        };
    }

    /// <param name="Results">per case and batch, the median of its repeats</param>
    /// <param name="Runs">every run, when there were repeats</param>
    private sealed record BenchReport(DateTimeOffset Date, string Machine, int Cores, string Cpu, string Data, string Note, int Epochs, int? Samples,
        int Repeats, double? Target, double FlopsPerSample, IReadOnlyList<CaseResult> Results, IReadOnlyList<CaseResult> Runs)
    {
        public ModelSummary? Model { get; init; }
    }

    /// <param name="LinkBoundAt10Gbit">the fewest workers whose step the coordinator's 10 Gbit/s link makes longer than the compute</param>
    private sealed record ModelSummary(string Path, int Batch, double SecondsPerSample, double ParameterBytes, int LinkBoundAt10Gbit, int LinkBoundAt25Gbit);
}

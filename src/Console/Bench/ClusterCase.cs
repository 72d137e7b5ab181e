using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ActorNet.Model;

namespace ActorNet.Cli.Bench;

/// <summary>
/// The cluster case: a coordinator and 1 or 2 worker processes on loopback, started as a user
/// starts them (no environment variable, no tunable), the run submitted over HTTP. Measured from
/// the first poll after epoch 1 to the run's end: wall time, CPU time of every process
/// (/proc/PID/stat), samples; the workers' log says what each put on the wire and allocated
/// per step, and how often its collector ran.
/// </summary>
internal static class ClusterCase
{
    public static async Task<CaseResult> RunAsync(int workers, string data, int batch, int epochs, int? samples, string workDirectory)
    {
        if (epochs < 2) throw new ArgumentException("--epochs: the first epoch warms up and is not measured, so at least 2");
        var (coordinatorDll, workerDll) = (BuiltDll("Coordinator", "ActorNet.Coordinator"), BuiltDll("Worker", "ActorNet.Worker"));
        var folder = Directory.CreateDirectory(Path.Combine(workDirectory, $"cluster-{workers}-{batch}")).FullName;
        var (akka, http) = (FreePort(), FreePort());
        var processes = new List<Process>();
        try
        {
            processes.Add(Start(coordinatorDll, "--port", $"{akka}", "--urls", $"http://127.0.0.1:{http}", "--db", Path.Combine(folder, "actornet.db"),
                "--log-file", Path.Combine(folder, "coordinator.log"), "--log-level", "Warning"));
            for (var k = 1; k <= workers; k++)
                processes.Add(Start(workerDll, "--seed", $"akka.tcp://actornet@127.0.0.1:{akka}", "--log-file", Path.Combine(folder, $"worker-{k}.log")));

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await WaitForApiAsync(client, processes);
            var spec = RunSpecWriter.ToJson(BenchSetup.Spec(data, batch, epochs, samples));
            using var submitted = await client.PostAsync($"/api/runs?minWorkers={workers}", new StringContent(spec, System.Text.Encoding.UTF8, "application/json"));
            var body = await submitted.Content.ReadAsStringAsync();
            if (!submitted.IsSuccessStatusCode) throw new InvalidOperationException($"the coordinator refused the run: {body}");
            var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString();

            (long Step, TimeSpan Cpu, long Ticks)? mark = null;
            (long Step, TimeSpan Cpu, long Ticks)? last = null;
            JsonElement status;
            while (true)
            {
                status = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
                var state = status.GetProperty("state").GetString();
                if (state == "failed") throw new InvalidOperationException($"the run failed: {status.GetProperty("error")}");
                if (state == "completed") break;
                if (state == "running" && status.GetProperty("epoch").GetInt32() >= 1)
                {
                    var now = (status.GetProperty("step").GetInt64(), processes.Aggregate(TimeSpan.Zero, (t, p) => t + BenchSetup.CpuTime(p.Id)), Stopwatch.GetTimestamp());
                    if (mark is null) mark = now;
                    else last = now;
                }
                await Task.Delay(250);
            }
            var peak = processes.Sum(p => BenchSetup.PeakRss(p.Id));
            var end = last ?? throw new InvalidOperationException("the run ended before it could be measured: give it more --epochs or --samples");
            var start = mark!.Value;
            var steps = end.Step - start.Step;
            var seconds = Stopwatch.GetElapsedTime(start.Ticks, end.Ticks).TotalSeconds;
            var samplesDone = steps * (double)batch; // whole batches between the polls
            foreach (var p in processes) Stop(p);
            var replicas = workers == 0 ? [] : Enumerable.Range(1, workers).Select(k => ReplicaFigures(Path.Combine(folder, $"worker-{k}.log"))).ToArray();
            return new CaseResult($"cluster-{workers}", batch, samplesDone / seconds, (end.Cpu - start.Cpu).TotalSeconds * 1000 / samplesDone, steps,
                BytesSentPerStep: replicas.Max(r => r.BytesPerStep), AllocatedBytesPerStep: replicas.Max(r => r.AllocatedPerStep),
                replicas.MaxBy(r => r.Collections.Sum())!.Collections, peak, status.GetProperty("testAccuracy").GetDouble());
        }
        finally
        {
            foreach (var p in processes) Stop(p);
        }
    }

    /// <summary>From the replica's last log line (ReplicaActor.PostStop): bytes sent and bytes
    /// allocated per step, and collections per generation after its warm-up steps.</summary>
    private static (double BytesPerStep, double? AllocatedPerStep, int[] Collections) ReplicaFigures(string logFile)
    {
        foreach (var line in File.ReadLines(logFile).Reverse())
        {
            if (!line.Contains("\"Allocated\"", StringComparison.Ordinal)) continue;
            var e = JsonDocument.Parse(line).RootElement;
            var steps = e.GetProperty("Steps").GetInt64();
            var warm = e.GetProperty("WarmUp").GetInt64();
            var allocated = e.GetProperty("Allocated").GetInt64();
            return (e.GetProperty("Bytes").GetInt64() / (double)Math.Max(steps, 1),
                allocated < 0 ? null : allocated / (double)(steps - warm),
                [e.GetProperty("Gen0").GetInt32(), e.GetProperty("Gen1").GetInt32(), e.GetProperty("Gen2").GetInt32()]);
        }
        throw new InvalidOperationException($"{logFile}: no line of the replica's figures (did the worker stop cleanly?)");
    }

    private static Process Start(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The node stops by itself when this process goes, however it goes (its stdin closes).
        psi.Environment["ACTORNET__EXITONSTDINCLOSE"] = "true";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Closes the node's standard input, on which it stops gracefully (ExitOnStdinClose),
    /// as on SIGTERM; kills it after 20 s.</summary>
    private static void Stop(Process p)
    {
        if (p.HasExited) return;
        try
        {
            p.StandardInput.Close();
        }
        catch (IOException) { } // already closed
        if (!p.WaitForExit(20_000)) p.Kill(entireProcessTree: true);
    }

    private static async Task WaitForApiAsync(HttpClient client, List<Process> processes)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (processes.FirstOrDefault(p => p.HasExited) is { } dead)
                throw new InvalidOperationException($"a node ({dead.StartInfo.ArgumentList[0]}) exited with {dead.ExitCode} as it started");
            try
            {
                using var r = await client.GetAsync("/api/runs");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new InvalidOperationException("the coordinator's HTTP API did not answer within 60 s");
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>A node's built assembly, from the same build configuration as this console, in the
    /// source tree this console was built in (src/PROJECT/bin/CONFIGURATION/FRAMEWORK/).</summary>
    private static string BuiltDll(string project, string assembly)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory); // .../bin/CONFIGURATION/FRAMEWORK/
        var (framework, configuration) = (here.Name, here.Parent?.Name ?? "Release");
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "src", project, "bin", configuration, framework, assembly + ".dll");
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException($"the cluster cases need the {project} built beside this console: dotnet build -c {configuration} src/{project}");
    }
}

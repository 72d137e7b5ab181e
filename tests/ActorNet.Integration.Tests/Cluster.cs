using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActorNet.Tests;

namespace ActorNet.Integration.Tests;

/// <summary>What GET /api/runs/{id} answers.</summary>
internal sealed record RunStatus(
    Guid Id, string Name, string State, int Epoch, int Epochs, long Step, long StepsPerEpoch,
    double? TrainLoss, double? TestLoss, double? TestAccuracy, double? SamplesPerSecond,
    int Workers, IReadOnlyList<string>? Events, string? Error)
{
    public override string ToString() =>
        $"{State} epoch {Epoch}/{Epochs} step {Step} workers {Workers} testAccuracy {TestAccuracy} trainLoss {TrainLoss}" +
        (Error is null ? "" : $" error '{Error}'") + (Events is { Count: > 0 } ? $" events [{string.Join("; ", Events)}]" : "");
}

/// <summary>
/// A real ActorNet cluster on loopback: the built coordinator (Akka and HTTP on free ports)
/// and workers seeded from it, each process in its own scratch folder under one temp root.
/// Disposing kills every process it started (SIGKILL, whole tree) and deletes the folder;
/// <see cref="Diagnostics"/> gives the tail of every node's output and log for assertion messages.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "actornet-it-" + Guid.NewGuid().ToString("N"));
    private readonly List<NodeProcess> _nodes = [];
    private readonly HttpClient _http;
    private int _workerCount;
    private RunStatus? _lastStatus;

    private Cluster()
    {
        Directory.CreateDirectory(_root);
        (AkkaPort, HttpPort) = FreePorts();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int AkkaPort { get; }
    public int HttpPort { get; }
    public string SeedAddress => $"akka.tcp://actornet@127.0.0.1:{AkkaPort}";
    public NodeProcess Coordinator { get; private set; } = null!;
    public IReadOnlyList<NodeProcess> Workers => _nodes.Where(n => n.Name.StartsWith("worker-", StringComparison.Ordinal)).ToArray();

    /// <summary>The coordinator's database (--db): a SQLite file in the cluster's folder unless given.</summary>
    public string Database { get; private set; } = "";

    private int _coordinatorCount;

    /// <summary>Starts the coordinator, waits for its HTTP API, then starts <paramref name="workers"/> workers.</summary>
    /// <param name="database">--db for the coordinator; default a SQLite file in the cluster's folder</param>
    public static async Task<Cluster> StartAsync(int workers, string? database = null)
    {
        var cluster = new Cluster();
        try
        {
            cluster.Database = database ?? Path.Combine(cluster._root, "actornet.db");
            await cluster.StartCoordinatorAsync();
            for (var i = 0; i < workers; i++) cluster.StartWorker();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoordinatorAsync()
    {
        var n = ++_coordinatorCount;
        Coordinator = NodeProcess.Start(n == 1 ? "coordinator" : $"coordinator-{n}", BuiltDll("Coordinator", "ActorNet.Coordinator"), _root,
            "--port", AkkaPort.ToString(CultureInfoInvariant), "--urls", $"http://127.0.0.1:{HttpPort}", "--db", Database);
        _nodes.Add(Coordinator);
        await WaitForApiAsync();
    }

    /// <summary>Starts a coordinator on <paramref name="database"/> in a scratch folder of its own (deleted by the caller's Dispose of the returned folder).</summary>
    public static NodeProcess StartLoneCoordinator(string root, string database) =>
        NodeProcess.Start("coordinator", BuiltDll("Coordinator", "ActorNet.Coordinator"), root, "--port", "0", "--urls", "http://127.0.0.1:0", "--db", database);

    /// <summary>Kills the coordinator with SIGKILL and starts a new one on the same ports and database.</summary>
    public async Task KillAndRestartCoordinatorAsync()
    {
        Coordinator.KillHard();
        await StartCoordinatorAsync();
    }

    private static IFormatProvider CultureInfoInvariant => System.Globalization.CultureInfo.InvariantCulture;

    public NodeProcess StartWorker()
    {
        var k = ++_workerCount;
        var worker = NodeProcess.Start($"worker-{k}", BuiltDll("Worker", "ActorNet.Worker"), _root, "--seed", SeedAddress);
        _nodes.Add(worker);
        return worker;
    }

    private async Task WaitForApiAsync()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (Coordinator.HasExited) throw new InvalidOperationException("The coordinator exited before its API answered.\n" + Diagnostics());
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await _http.GetAsync("/api/runs", cts.Token);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = new HttpRequestException($"GET /api/runs answered {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The coordinator's API did not answer within {StartTimeout} (last: {last?.Message}).\n" + Diagnostics());
    }

    /// <summary>Waits until the coordinator's log says it knows <paramref name="count"/> workers
    /// (the API has no worker list). Polls with the start deadline.</summary>
    public async Task WaitForWorkersKnownAsync(int count)
    {
        var clock = Stopwatch.StartNew();
        while (!Coordinator.LogContains($"is ready; {count} worker(s)"))
        {
            if (Coordinator.HasExited || clock.Elapsed > StartTimeout)
                throw new TimeoutException($"The coordinator did not report {count} worker(s) within {StartTimeout}.\n" + Diagnostics());
            await Task.Delay(200);
        }
    }

    /// <summary>POST /api/runs?minWorkers=N; the status code and the JSON body.</summary>
    public Task<(HttpStatusCode Status, JsonNode? Body)> SubmitAsync(string specJson, int minWorkers) =>
        RequestAsync(HttpMethod.Post, $"/api/runs?minWorkers={minWorkers}", specJson);

    /// <summary>Any request to the API; the status code and the body (JSON, or the text as a JSON string).</summary>
    /// <param name="expectContinue">send the body only once the server says so (as curl does for a large one): a body the server refuses is then never sent, and its answer can be read</param>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> RequestAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json",
        bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.ExpectContinue = expectContinue;
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, contentType);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? body;
        try { body = JsonNode.Parse(text); }
        catch (JsonException) { body = JsonValue.Create(text); }
        return (response.StatusCode, body);
    }

    /// <summary>Submits a run that must be accepted; its id.</summary>
    public async Task<Guid> StartRunAsync(string specJson, int minWorkers)
    {
        var (status, body) = await SubmitAsync(specJson, minWorkers);
        if (status != HttpStatusCode.Created || body?["id"]?.GetValue<string>() is not { } id)
            throw new InvalidOperationException($"POST /api/runs answered {(int)status}: {body?.ToJsonString()}\n" + Diagnostics());
        return Guid.Parse(id);
    }

    public async Task<RunStatus> GetRunAsync(Guid id)
    {
        var status = await _http.GetFromJsonAsync<RunStatus>($"/api/runs/{id}", Json)
            ?? throw new InvalidOperationException($"GET /api/runs/{id} answered null");
        _lastStatus = status;
        return status;
    }

    /// <summary>Polls the run until <paramref name="until"/> holds; fails (with every node's log
    /// tail) at the deadline, when the run ends in a state other than wanted, or when the
    /// coordinator dies.</summary>
    public async Task<RunStatus> WaitForRunAsync(Guid id, Func<RunStatus, bool> until, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (Coordinator.HasExited) throw new InvalidOperationException($"The coordinator died while waiting for {what}.\n" + Diagnostics());
            RunStatus? status = null;
            try
            {
                status = await GetRunAsync(id);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // A busy coordinator may answer late; the deadline decides.
            }
            if (status is not null)
            {
                if (until(status)) return status;
                if (status.State is "completed" or "cancelled" or "failed")
                    throw new InvalidOperationException($"The run ended ({status}) before {what}.\n" + Diagnostics());
            }
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"No {what} within {timeout}; last status: {_lastStatus}.\n" + Diagnostics());
            await Task.Delay(250);
        }
    }

    public Task<RunStatus> WaitForEndAsync(Guid id, TimeSpan timeout) =>
        WaitForRunAsync(id, s => s.State is "completed" or "cancelled" or "failed", timeout, "end of the run");

    /// <summary>Last status seen and the tail of every node's output and log.</summary>
    public string Diagnostics()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"cluster: akka {AkkaPort}, http {HttpPort}, folder {_root}; last run status: {_lastStatus?.ToString() ?? "none"}");
        foreach (var n in _nodes) sb.Append(n.Describe());
        return sb.ToString();
    }

    /// <summary>examples/NAME with top-level fields replaced (e.g. epochs).</summary>
    public static string Spec(string example, Action<JsonObject>? change = null)
    {
        var spec = JsonNode.Parse(File.ReadAllText(RepoFiles.PathOf("examples", example)))!.AsObject();
        change?.Invoke(spec);
        return spec.ToJsonString();
    }

    /// <summary>src/PROJECT/bin/CONFIG/net10.0/ASSEMBLY.dll, CONFIG being the one this test
    /// assembly was built in (the project references built it too), else whichever exists, newest first.</summary>
    /// <summary>The built X.dll of src/<paramref name="project"/>, of this test build's configuration when there is one.</summary>
    public static string BuiltDll(string project, string assembly)
    {
        var own = typeof(Cluster).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        var bin = RepoFiles.PathOf("src", project, "bin");
        var preferred = own is null ? null : Path.Combine(bin, own, "net10.0", assembly + ".dll");
        if (preferred is not null && File.Exists(preferred)) return preferred;
        var any = Directory.Exists(bin)
            ? Directory.GetFiles(bin, assembly + ".dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        return any ?? throw new FileNotFoundException($"{assembly}.dll is not built under {bin} (configuration {own}); build ActorNet.sln first");
    }

    /// <summary>Two distinct free loopback ports: bound together on port 0, read, released.</summary>
    private static (int, int) FreePorts()
    {
        var a = new TcpListener(IPAddress.Loopback, 0);
        var b = new TcpListener(IPAddress.Loopback, 0);
        a.Start();
        b.Start();
        try
        {
            return (((IPEndPoint)a.LocalEndpoint).Port, ((IPEndPoint)b.LocalEndpoint).Port);
        }
        finally
        {
            a.Stop();
            b.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        // Workers first, so the coordinator does not spend its last seconds downing them.
        foreach (var n in _nodes.AsEnumerable().Reverse()) n.Dispose();
        _nodes.Clear();
        await Task.Yield();
        // ACTORNET_IT_KEEP=1 keeps every node's folder and log for a look afterwards.
        if (Environment.GetEnvironmentVariable("ACTORNET_IT_KEEP") == "1") return;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException) { return; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Task.Delay(200);
            }
        }
    }
}

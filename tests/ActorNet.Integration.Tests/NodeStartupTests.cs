using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ActorNet.Tests;
using Xunit;

namespace ActorNet.Integration.Tests;

/// <summary>A node given a setting it cannot use, or a port another process holds, stops at once
/// with exit code 2 and says in one line what and where; and a coordinator on port 0 forms a
/// cluster that workers join at the port it picked.</summary>
public sealed class NodeStartupTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _folder = new();
    private readonly List<NodeProcess> _nodes = [];
    // A port some other program listens on.
    private readonly TcpListener _taken = new(IPAddress.Loopback, 0);

    public NodeStartupTests() => _taken.Start();

    private int TakenPort => ((IPEndPoint)_taken.LocalEndpoint).Port;

    private static string Coordinator => Cluster.BuiltDll("Coordinator", "ActorNet.Coordinator");
    private static string Worker => Cluster.BuiltDll("Worker", "ActorNet.Worker");

    private NodeProcess Start(string name, string dll, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var node = NodeProcess.Start(name, dll, _folder.PathName, environment ?? new Dictionary<string, string>(), args);
        _nodes.Add(node);
        return node;
    }

    private NodeProcess StartCoordinator(params string[] args) =>
        Start("coordinator", Coordinator, null, [.. args, "--db", _folder.File("actornet.db")]);

    /// <summary>Waits for the node to exit; asserts code 2, no stack trace anywhere, nothing on stdout; returns the stderr lines.</summary>
    private static async Task<string[]> RefusedAsync(NodeProcess node)
    {
        var (exitCode, errors) = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(exitCode == 2, $"{node.Name} exited with {exitCode}\n{node.Describe()}");
        Assert.DoesNotContain(errors, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.Empty(node.OutputLines());
        return errors;
    }

    [Fact]
    public async Task A_coordinator_given_a_port_that_is_not_a_number_names_the_switch_and_stops()
    {
        var errors = await RefusedAsync(StartCoordinator("--port", "4o53", "--urls", "http://127.0.0.1:0"));
        Assert.Equal(["coordinator: ActorNet:Port = \"4o53\", from the command line (--port): expected a port number from 0 (any free port) to 65535"], errors);
    }

    [Fact]
    public async Task A_worker_names_every_bad_setting_and_where_it_came_from()
    {
        var environment = new Dictionary<string, string> { ["ACTORNET__LOGLEVEL"] = "loud" };
        var errors = await RefusedAsync(Start("worker", Worker, environment, "--seed", "akka.tcp://other@127.0.0.1:4053", "--port", "70000"));
        Assert.Equal([
            "worker: ActorNet:SeedNodes:0 = \"akka.tcp://other@127.0.0.1:4053\", from the command line (--seed): expected a seed node address akka.tcp://actornet@HOST:PORT (the actor system of every ActorNet node is named \"actornet\")",
            "worker: ActorNet:Port = \"70000\", from the command line (--port): expected a port number from 0 (any free port) to 65535",
            "worker: ActorNet:LogLevel = \"loud\", from environment variable ACTORNET__LOGLEVEL: expected one of Verbose, Debug, Information, Warning, Error, Fatal",
        ], errors);
    }

    [Fact]
    public async Task A_coordinator_whose_database_folder_cannot_be_created_says_so_in_one_line()
    {
        // /proc takes no new folders, even for root.
        var errors = await RefusedAsync(Start("coordinator", Coordinator, null, "--port", "0", "--urls", "http://127.0.0.1:0", "--db", "/proc/actornet-no-such/runs.db"));
        Assert.Equal(["coordinator: database /proc/actornet-no-such/runs.db: cannot create its folder /proc/actornet-no-such: Could not find file '/proc/actornet-no-such'."], errors);
    }

    [Fact]
    public async Task A_coordinator_given_an_http_address_that_is_not_a_url_says_so()
    {
        var errors = await RefusedAsync(StartCoordinator("--port", "0", "--urls", "127.0.0.1-5080"));
        Assert.Equal(["coordinator: Urls = \"127.0.0.1-5080\", from the command line (--urls): expected URLs like http://127.0.0.1:5080, separated by ';'"], errors);
    }

    [Fact]
    public async Task A_coordinator_whose_cluster_port_is_taken_says_which_and_stops()
    {
        var errors = await RefusedAsync(StartCoordinator("--port", TakenPort.ToString(), "--urls", "http://127.0.0.1:0"));
        AssertLastAfterBriefReports($"coordinator: cannot start: cluster endpoint (ActorNet:Host, ActorNet:Port): Failed to bind to [127.0.0.1:{TakenPort}]: Address already in use", errors);
    }

    [Fact]
    public async Task A_coordinator_whose_http_port_is_taken_says_which_and_stops()
    {
        var errors = await RefusedAsync(StartCoordinator("--port", "0", "--urls", $"http://127.0.0.1:{TakenPort}"));
        Assert.Equal([$"coordinator: cannot start: Failed to bind to address http://127.0.0.1:{TakenPort}: address already in use"], errors);
    }

    [Fact]
    public async Task A_worker_whose_port_is_taken_says_which_and_stops()
    {
        var errors = await RefusedAsync(Start("worker", Worker, null, "--seed", "akka.tcp://actornet@127.0.0.1:4053", "--port", TakenPort.ToString()));
        AssertLastAfterBriefReports($"worker: cannot start: cluster endpoint (ActorNet:Host, ActorNet:Port): Failed to bind to [127.0.0.1:{TakenPort}]: Address already in use", errors);
    }

    [Fact]
    public async Task A_coordinator_on_port_0_forms_a_cluster_that_a_worker_joins_at_the_port_it_picked()
    {
        var coordinator = StartCoordinator("--port", "0", "--urls", "http://127.0.0.1:0");
        var address = await WaitForAsync(coordinator, () => Regex.Match(coordinator.LogText(), "Coordinator up: cluster (akka\\.tcp://actornet@127\\.0\\.0\\.1:(\\d+))") is
            { Success: true } m && m.Groups[2].Value != "0" ? m.Groups[1].Value : null, "its address in the log");

        Start("worker", Worker, null, "--seed", address);

        await WaitForAsync(coordinator, () => coordinator.LogContains("is ready; 1 worker(s)") ? "" : null, "a ready worker");
    }

    /// <summary>The last line is <paramref name="last"/>; before it come Akka's own reports of the
    /// failed bind, one line each.</summary>
    private static void AssertLastAfterBriefReports(string last, string[] errors)
    {
        Assert.Equal(last, errors[^1]);
        Assert.All(errors[..^1], l => Assert.Matches(@"^\[\d\d:\d\d:\d\d (ERR|WRN)\] ", l));
    }

    private static async Task<string> WaitForAsync(NodeProcess node, Func<string?> found, string what)
    {
        var deadline = DateTime.UtcNow + Cluster.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (found() is { } value) return value;
            Assert.False(node.HasExited, $"{node.Name} exited before {what}\n{node.Describe()}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"no {what} within {Cluster.StartTimeout}\n{node.Describe()}");
    }

    public void Dispose()
    {
        foreach (var node in _nodes.AsEnumerable().Reverse()) node.Dispose();
        _taken.Stop();
        _folder.Dispose();
    }
}

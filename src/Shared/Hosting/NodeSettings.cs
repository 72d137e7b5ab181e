using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace ActorNet.Hosting;

/// <summary>
/// How one node joins the cluster. Every setting comes from appsettings.json (section
/// "ActorNet"), environment variables (ACTORNET__HOST, ACTORNET__SEEDNODES__0, …) and the
/// command line (--ActorNet:Host=…, or the short forms --host, --port, --seed, --public-host,
/// --log-level), later sources winning.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Address to bind Akka.Remote to. Default 127.0.0.1.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Port for Akka.Remote; 0 picks a free one. Default: 4053 for the coordinator, 0 for workers.</summary>
    public int Port { get; init; }
    /// <summary>Host name other nodes use to reach this one (in containers: the service name). Default:
    /// Host, or, when Host is 0.0.0.0 (all interfaces, as in a container), this machine's first
    /// non-loopback IPv4 address.</summary>
    public string? PublicHost { get; init; }
    /// <summary>Cluster seed nodes, e.g. akka.tcp://actornet@coordinator:4053. Default: this node itself
    /// when it is the coordinator (it forms the cluster), none otherwise (a worker must be told).</summary>
    public string[] SeedNodes { get; init; } = [];
    /// <summary>Serilog minimum level: Verbose, Debug, Information, Warning, Error. Default Information.</summary>
    public string LogLevel { get; init; } = "Information";
    /// <summary>Largest message in bytes. Every node must agree. Default 64 MiB: a layer of 10
    /// million float32 weights is a 40 MB message.</summary>
    public long MaximumFrameSize { get; init; } = 64L * 1024 * 1024;
    /// <summary>Where the log file goes. Default logs/actornet-ROLE.log.</summary>
    public string? LogFile { get; init; }
    /// <summary>The coordinator's database for run journals and checkpoints: a SQLite file or a
    /// connection string (see <see cref="Persistence.Database.Parse"/>). Default data/actornet.db.</summary>
    public string? Db { get; init; }
    /// <summary>Stop the node (gracefully, as on SIGTERM) when its standard input reaches its end.
    /// For a supervisor that starts the node with a pipe on its standard input (the integration
    /// tests do): the node then never outlives it, even one killed with SIGKILL, whose end of the
    /// pipe the kernel closes. Default false: a node started with stdin closed or on /dev/null
    /// (a service, a container) must keep running.</summary>
    public bool ExitOnStdinClose { get; init; }

    public const string SystemName = "actornet";

    /// <summary>Short command-line forms for the settings above.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--host"] = "ActorNet:Host",
        ["--port"] = "ActorNet:Port",
        ["--public-host"] = "ActorNet:PublicHost",
        ["--seed"] = "ActorNet:SeedNodes:0",
        ["--log-level"] = "ActorNet:LogLevel",
        ["--log-file"] = "ActorNet:LogFile",
        ["--db"] = "ActorNet:Db",
        ["--urls"] = "Urls",
    };

    public static NodeSettings From(IConfiguration configuration, int defaultPort)
    {
        var section = configuration.GetSection("ActorNet");
        var settings = new NodeSettings { Port = defaultPort };
        return settings with
        {
            Host = section["Host"] ?? settings.Host,
            Port = int.TryParse(section["Port"], out var port) ? port : settings.Port,
            PublicHost = section["PublicHost"],
            SeedNodes = section.GetSection("SeedNodes").GetChildren().Select(c => c.Value!).Where(v => !string.IsNullOrWhiteSpace(v)).ToArray(),
            LogLevel = section["LogLevel"] ?? settings.LogLevel,
            MaximumFrameSize = long.TryParse(section["MaximumFrameSize"], out var frame) ? frame : settings.MaximumFrameSize,
            LogFile = section["LogFile"],
            Db = section["Db"],
            ExitOnStdinClose = bool.TryParse(section["ExitOnStdinClose"], out var exit) && exit,
        };
    }

    /// <summary>
    /// The cluster HOCON every node shares. Choices, on purpose:
    /// <list type="bullet">
    /// <item>Frames of <see cref="MaximumFrameSize"/> with socket buffers to match, so a 40 MB
    /// parameter message travels whole (the default, 128 kB, drops it).</item>
    /// <item>The failure detector allows 10 s without a heartbeat (threshold 12): heartbeats
    /// share the TCP connection with big messages, and a healthy node busy sending 40 MB must
    /// not look dead. A killed worker is noticed within about 15 s.</item>
    /// <item>Split-brain resolver keep-oldest on the coordinator role, down-if-alone: the side
    /// that has the coordinator keeps going, workers cut off from it are downed (and, as
    /// processes, restart and rejoin). stable-after 5 s.</item>
    /// </list>
    /// </summary>
    public Config ToAkkaConfig(string role)
    {
        var seeds = string.Join(", ", SeedNodes.Select(s => $"\"{s}\""));
        var frame = MaximumFrameSize;
        var publicHost = PublicHost ?? (Host == "0.0.0.0" ? FirstIPv4() ?? Host : Host);
        return ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = "{{Host}}"
                public-hostname = "{{publicHost}}"
                port = {{Port}}
                maximum-frame-size = {{frame}}b
                send-buffer-size = {{frame + 65536}}b
                receive-buffer-size = {{frame + 65536}}b
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = ["{{role}}"]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-oldest
                  stable-after = 5s
                  keep-oldest { down-if-alone = on, role = "coordinator" }
                }
                failure-detector {
                  acceptable-heartbeat-pause = 10s
                  threshold = 12
                }
                run-coordinated-shutdown-when-down = on
              }
            }
            """)
            .WithFallback(Serialization.ActorNetSerializer.Configuration)
            .WithFallback(Logging.AkkaConfig(ParseLevel(LogLevel)));
    }

    private static string? FirstIPv4() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            ?.ToString();

    public static Serilog.Events.LogEventLevel ParseLevel(string level) =>
        Enum.TryParse<Serilog.Events.LogEventLevel>(level, ignoreCase: true, out var l) ? l : Serilog.Events.LogEventLevel.Information;
}

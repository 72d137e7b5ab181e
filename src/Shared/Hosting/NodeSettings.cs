using System.Globalization;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;
using Serilog.Events;

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
    /// <summary>Cluster seed nodes, e.g. akka.tcp://actornet@coordinator:4053. Default: none. A
    /// coordinator without seed nodes forms the cluster by joining itself, at the address it has
    /// bound; a worker must be told.</summary>
    public string[] SeedNodes { get; init; } = [];
    /// <summary>Serilog minimum level: Verbose, Debug, Information, Warning, Error, Fatal (any case). Default Information.</summary>
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

    /// <summary>Reads section "ActorNet" of <paramref name="configuration"/>. A value that is not
    /// what its setting takes (a port that is not a number, an unknown log level, a seed that is
    /// not an address) is an error, never quietly replaced by the default.</summary>
    /// <exception cref="NodeSettingsException">one line per bad value: the setting, the value, where it came from and what it takes</exception>
    public static NodeSettings From(IConfiguration configuration, int defaultPort)
    {
        var section = configuration.GetSection("ActorNet");
        var defaults = new NodeSettings { Port = defaultPort };
        var errors = new List<string>();

        T Read<T>(string key, T fallback, Func<string, T?> parse, string takes) where T : struct
        {
            var text = configuration[key];
            if (text is null) return fallback;
            if (parse(text.Trim()) is { } value) return value;
            errors.Add(Problem(configuration, key, text, takes));
            return fallback;
        }

        string? Host(string key)
        {
            var text = configuration[key];
            if (text is null || Uri.CheckHostName(text) != UriHostNameType.Unknown) return text;
            errors.Add(Problem(configuration, key, text, "a host name or an IP address"));
            return null;
        }

        var seeds = new List<string>();
        foreach (var child in section.GetSection("SeedNodes").GetChildren())
        {
            if (string.IsNullOrWhiteSpace(child.Value)) continue;
            if (SeedProblem(child.Value) is { } problem) errors.Add(Problem(configuration, child.Path, child.Value, problem));
            else seeds.Add(child.Value.Trim());
        }

        var settings = defaults with
        {
            Host = Host("ActorNet:Host") ?? defaults.Host,
            Port = Read("ActorNet:Port", defaults.Port, t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 65535 ? v : null,
                "a port number from 0 (any free port) to 65535"),
            PublicHost = Host("ActorNet:PublicHost"),
            SeedNodes = seeds.ToArray(),
            LogLevel = Read("ActorNet:LogLevel", LogEventLevel.Information, ParseLevelOrNull,
                "one of " + string.Join(", ", Enum.GetNames<LogEventLevel>())).ToString(),
            MaximumFrameSize = Read("ActorNet:MaximumFrameSize", defaults.MaximumFrameSize,
                t => long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is >= MinimumFrameSize and <= MaximumFrameSizeLimit ? v : null,
                $"a number of bytes from {MinimumFrameSize} to {MaximumFrameSizeLimit}"),
            LogFile = section["LogFile"],
            Db = section["Db"],
            ExitOnStdinClose = Read("ActorNet:ExitOnStdinClose", false, t => bool.TryParse(t, out var v) ? v : null, "true or false"),
        };
        if (errors.Count > 0) throw new NodeSettingsException(string.Join(Environment.NewLine, errors));
        return settings;
    }

    /// <summary>Akka.Remote refuses frames under 32,000 bytes.</summary>
    public const long MinimumFrameSize = 32_000;
    /// <summary>1 GiB: the socket buffers are the frame size plus 64 KiB, and must fit an int.</summary>
    public const long MaximumFrameSizeLimit = 1L << 30;

    /// <summary>One line for a value a setting cannot take: the setting, the value, where it came
    /// from (<see cref="SettingSource"/>) and what the setting takes.</summary>
    public static string Problem(IConfiguration configuration, string key, string value, string takes)
    {
        var source = SettingSource.Describe(configuration, key);
        return $"{key} = \"{value}\"{(source is null ? "" : ", from " + source)}: expected {takes}";
    }

    /// <summary>Why <paramref name="seed"/> is not the address of an ActorNet node, or null.</summary>
    private static string? SeedProblem(string seed)
    {
        const string shape = $"a seed node address akka.tcp://{SystemName}@HOST:PORT";
        if (!Uri.TryCreate(seed.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.Port <= 0 || uri.AbsolutePath is not ("" or "/")
            || uri.Host.Length == 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            return shape;
        return uri.UserInfo == SystemName ? null : $"{shape} (the actor system of every ActorNet node is named \"{SystemName}\")";
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
            .WithFallback(Formats.StoredSerializer.Configuration)
            .WithFallback(Logging.AkkaConfig(ParseLevel(LogLevel)));
    }

    private static string? FirstIPv4() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            ?.ToString();

    /// <summary>A Serilog level by name, any case ("warning"); numbers are not names.</summary>
    public static LogEventLevel ParseLevel(string level) => ParseLevelOrNull(level) ?? LogEventLevel.Information;

    private static LogEventLevel? ParseLevelOrNull(string level) =>
        level.Length > 0 && char.IsLetter(level[0]) && Enum.TryParse<LogEventLevel>(level, ignoreCase: true, out var l) && Enum.IsDefined(l) ? l : null;
}

/// <summary>A node setting with a value it cannot take; the message names the setting, the value
/// and where it came from, one line per setting.</summary>
public sealed class NodeSettingsException(string message) : Exception(message);

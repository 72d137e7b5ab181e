using ActorNet.Formats;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Serialization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;

namespace ActorNet.Hosting;

/// <summary>
/// The one way an ActorNet process hosts its actor system: <see cref="AddActorNet"/> on the .NET
/// generic host, used by the coordinator (a web application), the worker and the console's
/// in-process commands alike.
/// </summary>
/// <remarks>
/// An extension of <see cref="IHostApplicationBuilder"/> rather than of <see cref="IServiceCollection"/>:
/// a node's settings decide its logging and its database before anything starts, and reading them
/// with the names of their sources (<see cref="SettingSource"/>) needs the builder's configuration;
/// the builder also owns the logging providers, which Serilog replaces.
/// </remarks>
public static class ActorNetHosting
{
    /// <summary>
    /// Reads the node's settings (<see cref="NodeSettings.From"/>, with <paramref name="role"/>'s
    /// defaults) from the builder's configuration and <paramref name="args"/>' short switches,
    /// logs through Serilog (<see cref="Logging.Configure"/>), registers the settings as
    /// <see cref="IOptions{TOptions}"/> of <see cref="NodeSettings"/> (and, for a role that journals,
    /// the <see cref="Database"/>), and adds the actor system (Akka.Hosting) built by
    /// <see cref="ConfigureActorNet"/>; <paramref name="configure"/> then adds the node's own actors.
    /// </summary>
    /// <remarks>The settings are read and checked here, as the host is being built, not when it starts:
    /// the log file and the database come from them, and a node refuses bad ones before it writes
    /// anything. (The options binder could not say where a bad value came from, and would take any
    /// text for a log level.)</remarks>
    /// <param name="args">the command line, read again with <see cref="NodeSettings.Switches"/> (--port, --seed, …)</param>
    /// <returns>the settings, as registered</returns>
    /// <exception cref="NodeSettingsException">settings the node cannot take, one line each (<see cref="NodeStartup.Refuse"/> prints them)</exception>
    /// <exception cref="DatabaseException"><see cref="NodeSettings.Db"/> is not a database, for a role that journals</exception>
    public static NodeSettings AddActorNet(this IHostApplicationBuilder builder, NodeRole role, string[]? args = null,
        Action<AkkaConfigurationBuilder, IServiceProvider>? configure = null)
    {
        if (args is { Length: > 0 }) builder.Configuration.AddCommandLine(args, NodeSettings.Switches.ToDictionary());
        var settings = NodeSettings.From(builder.Configuration, role);
        var database = role.Journals ? Database.Parse(settings.Db) : null;

        Logging.Configure(new LogSettings { Role = role.Name, File = settings.LogFile, Level = NodeSettings.ParseLevel(settings.LogLevel) });
        builder.Logging.ClearProviders();
        // The process's logger outlives a host: a worker builds a new one each time it joins again.
        builder.Services.AddSerilog(Log.Logger, dispose: false);

        builder.Services.AddSingleton(Options.Create(settings));
        if (database is not null) builder.Services.AddSingleton(database);
        builder.Services.AddAkka(NodeSettings.SystemName, (akka, services) =>
        {
            akka.ConfigureActorNet(role, settings, database);
            configure?.Invoke(akka, services);
        });
        return settings;
    }

    /// <summary>
    /// The actor system of a node of <paramref name="role"/>, from Akka.Hosting's typed builders.
    /// Choices, on purpose:
    /// <list type="bullet">
    /// <item>Every <see cref="IActorNetMessage"/> goes through <see cref="ActorNetSerializer"/>
    /// (id <see cref="ActorNetSerializer.Id"/>) on the wire; journal events and checkpoints
    /// through <see cref="StoredSerializer"/> (id <see cref="StoredSerializer.Id"/>), versioned.</item>
    /// <item>Akka logs through Serilog, at the node's level, without dead-letter chatter.</item>
    /// <item>Frames of <see cref="NodeSettings.MaximumFrameSize"/> with socket buffers to match, so a
    /// 40 MB parameter message travels whole (the default, 128 kB, drops it).</item>
    /// <item>The failure detector allows 10 s without a heartbeat (threshold 12): heartbeats share
    /// the TCP connection with big messages, and a healthy node busy sending 40 MB must not look
    /// dead. A killed worker is noticed within about 15 s.</item>
    /// <item>Split-brain resolver keep-oldest on the coordinator role, down-if-alone: the side that
    /// has the coordinator keeps going, workers cut off from it are downed (and join again, see the
    /// worker's Program). stable-after 5 s.</item>
    /// <item>A role that journals: Akka.Persistence.Sql on <see cref="NodeSettings.Db"/>, tables
    /// created on first start, connections opened as <see cref="Database.ToAkkaSetup"/> says, and on
    /// SQLite the write-ahead log copied in the background (<see cref="WalCheckpoints"/>).</item>
    /// </list>
    /// A few settings have no typed builder and are HOCON, each with its reason below.
    /// </summary>
    private static AkkaConfigurationBuilder ConfigureActorNet(this AkkaConfigurationBuilder akka, NodeRole role, NodeSettings settings, Database? database)
    {
        akka.WithCustomSerializer("actornet", [typeof(IActorNetMessage)], system => new ActorNetSerializer(system));
        // Journal events and checkpoints, by their exact types (which win over the marker
        // interface above): versioned stored formats, docs/stored-formats.md.
        akka.WithCustomSerializer("actornet-stored", [.. StoredSerializer.BoundTypes], system => new StoredSerializer(system));
        akka.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = Logging.AkkaLevel(NodeSettings.ParseLevel(settings.LogLevel));
            loggers.ClearLoggers();
            loggers.AddSerilogLogging();
            loggers.DeadLetterOptions = new DeadLetterOptions { ShouldLog = TriStateValue.None, LogDuringShutdown = false };
        });
        // No typed option: Akka prints its own events on stdout before its loggers start and after
        // they stop (a failed start's, a shutdown's); a node's stdout stays clean and the log has them.
        akka.AddHocon(ConfigurationFactory.ParseString("akka.stdout-loglevel = OFF"), HoconAddMode.Prepend);

        if (role.Clustered)
        {
            var frame = settings.MaximumFrameSize;
            akka.WithRemoting(new RemoteOptions
            {
                HostName = settings.Host,
                Port = settings.Port,
                PublicHostName = settings.AdvertisedHost,
                MaxFrameSize = frame,
                SendBufferSize = frame + 65536,
                ReceiveBufferSize = frame + 65536,
            });
            akka.WithClustering(new ClusterOptions
            {
                Roles = [role.Name],
                SeedNodes = settings.SeedNodes,
                SplitBrainResolver = new KeepOldestOption { DownIfAlone = true, Role = NodeRole.Coordinator.Name },
                FailureDetector = new PhiAccrualFailureDetectorOptions { AcceptableHeartbeatPause = TimeSpan.FromSeconds(10), Threshold = 12 },
            });
            // No typed option for the split-brain resolver's stable-after (Akka's default is 20 s).
            akka.AddHocon(ConfigurationFactory.ParseString("akka.cluster.split-brain-resolver.stable-after = 5s"), HoconAddMode.Prepend);
            if (role.FormsCluster && settings.SeedNodes.Length == 0)
                akka.AddStartup((system, _) =>
                {
                    // At the address it has bound: with port 0, the port the system picked.
                    var cluster = Akka.Cluster.Cluster.Get(system);
                    cluster.Join(cluster.SelfAddress);
                });
        }
        else
        {
            // No typed option: the console stops a run itself on Ctrl+C (it finishes its step), so the
            // CLR's exit hook must not shut the actor system down under it first.
            akka.AddHocon(ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off"), HoconAddMode.Prepend);
        }

        if (database is not null) akka.WithDatabase(database);
        return akka;
    }

    /// <summary>Akka.Persistence.Sql journal and snapshot store (the default plugins) on <paramref name="database"/>.</summary>
    private static void WithDatabase(this AkkaConfigurationBuilder akka, Database database)
    {
        akka.WithSqlPersistence(
            new SqlJournalOptions(isDefaultPlugin: true) { ConnectionString = database.ConnectionString, ProviderName = database.ProviderName, AutoInitialize = true },
            new SqlSnapshotOptions(isDefaultPlugin: true) { ConnectionString = database.ConnectionString, ProviderName = database.ProviderName, AutoInitialize = true });
        // Our subclasses of the plugins, which name the record they cannot read (persistence id,
        // sequence number): the options have no field for a plugin's class.
        akka.AddHocon(ConfigurationFactory.ParseString($"""
            {Database.JournalPluginId}.class = {Quote(TypeName(typeof(StoredJournal)))}
            {Database.SnapshotPluginId}.class = {Quote(TypeName(typeof(StoredSnapshotStore)))}
            """), HoconAddMode.Prepend);
        akka.AddSetup(database.ToAkkaSetup());
        if (database.Provider != DatabaseProvider.Sqlite) return;
        akka.WithExtension<WalCheckpointsProvider>();
        // ActorNet's own extension, so no typed option: the file whose log it copies.
        akka.AddHocon(ConfigurationFactory.ParseString($"{WalCheckpoints.ConnectionStringPath} = {Quote(database.ConnectionString)}"), HoconAddMode.Prepend);
    }

    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

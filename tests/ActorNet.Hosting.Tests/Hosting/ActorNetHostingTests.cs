using ActorNet.Hosting;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Logger.Serilog;
using Akka.Persistence.Sql.Config;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ActorNet.Tests.Hosting;

/// <summary>
/// The actor system <see cref="ActorNetHosting.AddActorNet"/> builds for each role, as the started
/// system sees its configuration: a coordinator and a worker on port 0 form a cluster in this process,
/// with the frame size, failure detector, split-brain resolver, serializer, logging and (for the
/// coordinator) database every node must have; an in-process node has none of the cluster; and bad
/// settings stop the building with one line each, before anything is written.
/// </summary>
public sealed class ActorNetHostingTests : IDisposable
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _folder = new();

    /// <summary>Port 0, no log file (only stderr), a database in this test's folder.</summary>
    private Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ActorNet:Port"] = "0",
            ["ActorNet:LogFile"] = "",
            ["ActorNet:LogLevel"] = "Warning",
            ["ActorNet:Db"] = _folder.File("actornet.db"),
        };
        foreach (var (key, value) in more) settings[key] = value;
        return settings;
    }

    [Fact]
    public async Task A_coordinator_and_a_worker_on_port_0_form_a_cluster_with_the_settings_every_node_must_share()
    {
        await using var coordinator = await NodeHost.StartAsync(NodeRole.Coordinator, Settings());
        var seed = Cluster.Get(coordinator.System).SelfAddress;
        Assert.NotEqual(0, seed.Port);
        await WaitForAsync(() => Cluster.Get(coordinator.System).SelfMember.Status == MemberStatus.Up, "the coordinator to form the cluster by joining itself");

        await using var worker = await NodeHost.StartAsync(NodeRole.Worker, Settings(("ActorNet:SeedNodes:0", seed.ToString())));
        var workerCluster = Cluster.Get(worker.System);
        await WaitForAsync(() => workerCluster.SelfMember.Status == MemberStatus.Up, "the worker to join");

        Assert.NotEqual(0, workerCluster.SelfAddress.Port);
        Assert.Equal(["worker"], workerCluster.SelfRoles);
        Assert.Equal(["coordinator"], Cluster.Get(coordinator.System).SelfRoles);
        var config = worker.System.Settings.Config;
        Assert.IsType<Akka.Cluster.ClusterActorRefProvider>(((ExtendedActorSystem)worker.System).Provider);
        Assert.Equal([seed.ToString()], config.GetStringList("akka.cluster.seed-nodes"));
        // Akka.Remote: frames of 64 MiB, socket buffers to match, bound on 127.0.0.1.
        var tcp = config.GetConfig("akka.remote.dot-netty.tcp");
        Assert.Equal((64L << 20, (64L << 20) + 65536, (64L << 20) + 65536), (tcp.GetByteSize("maximum-frame-size"), tcp.GetByteSize("send-buffer-size"), tcp.GetByteSize("receive-buffer-size")));
        Assert.Equal(("127.0.0.1", "127.0.0.1"), (tcp.GetString("hostname"), tcp.GetString("public-hostname")));
        // Failure detector, split-brain resolver, downing.
        var cluster = config.GetConfig("akka.cluster");
        Assert.Equal((TimeSpan.FromSeconds(10), 12.0), (cluster.GetTimeSpan("failure-detector.acceptable-heartbeat-pause"), cluster.GetDouble("failure-detector.threshold")));
        Assert.Contains("SplitBrainResolverProvider", cluster.GetString("downing-provider-class"));
        Assert.Equal(("keep-oldest", "coordinator", true, TimeSpan.FromSeconds(5)),
            (cluster.GetString("split-brain-resolver.active-strategy"), cluster.GetString("split-brain-resolver.keep-oldest.role"),
             cluster.GetBoolean("split-brain-resolver.keep-oldest.down-if-alone"), cluster.GetTimeSpan("split-brain-resolver.stable-after")));
        Assert.True(cluster.GetBoolean("run-coordinated-shutdown-when-down"), "a downed worker must end its actor system, so that its host starts a new one");
        // The worker keeps no runs.
        Assert.False(worker.System.HasExtension<WalCheckpoints>());
        Assert.True(string.IsNullOrEmpty(config.GetString("akka.persistence.journal.plugin")), "no journal");
        AssertCommonSettings(worker.System);
        AssertCommonSettings(coordinator.System);
    }

    [Fact]
    public async Task A_coordinator_journals_its_runs_in_the_database_of_its_settings()
    {
        var file = _folder.File("runs.db");
        await using var coordinator = await NodeHost.StartAsync(NodeRole.Coordinator, Settings(("ActorNet:Db", file)));

        var system = coordinator.System;
        var config = system.Settings.Config;
        var database = Database.Parse(file);
        Assert.Equal((Database.JournalPluginId, Database.SnapshotPluginId),
            (config.GetString("akka.persistence.journal.plugin"), config.GetString("akka.persistence.snapshot-store.plugin")));
        foreach (var plugin in new[] { Database.JournalPluginId, Database.SnapshotPluginId })
            Assert.Equal((database.ConnectionString, database.ProviderName, true),
                (config.GetString(plugin + ".connection-string"), config.GetString(plugin + ".provider-name"), config.GetBoolean(plugin + ".auto-initialize")));
        Assert.True(system.Settings.Setup.Get<DataOptionsSetup>().HasValue, "the SQLite connections' pragmas");
        Assert.True(system.HasExtension<WalCheckpoints>(), "the background copy of SQLite's write-ahead log");
        Assert.Equal(database.ConnectionString, config.GetString(WalCheckpoints.ConnectionStringPath));
    }

    [Fact]
    public async Task An_in_process_node_runs_without_a_cluster_and_leaves_its_stopping_to_the_caller()
    {
        await using var local = await NodeHost.StartAsync(NodeRole.InProcess("local", journals: false), Settings());

        var config = local.System.Settings.Config;
        Assert.IsType<LocalActorRefProvider>(((ExtendedActorSystem)local.System).Provider);
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook"), "Ctrl+C is the console's: a run finishes its step");
        Assert.True(string.IsNullOrEmpty(config.GetString("akka.persistence.journal.plugin")), "no journal");
        AssertCommonSettings(local.System);
    }

    [Fact]
    public void Bad_settings_stop_the_building_with_one_line_each_naming_the_switch_before_any_log_is_written()
    {
        var log = _folder.File("worker.log");
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        var e = Assert.Throws<NodeSettingsException>(() => builder.AddActorNet(NodeRole.Worker,
            ["--seed", "akka.tcp://actornet@127.0.0.1:4053", "--port", "4o53", "--log-level", "loud", "--log-file", log]));

        Assert.Equal([
            "ActorNet:Port = \"4o53\", from the command line (--port): expected a port number from 0 (any free port) to 65535",
            "ActorNet:LogLevel = \"loud\", from the command line (--log-level): expected one of Verbose, Debug, Information, Warning, Error, Fatal",
        ], e.Message.Split(Environment.NewLine));
        Assert.False(File.Exists(log));
    }

    [Fact]
    public void A_coordinator_whose_database_setting_is_not_a_database_stops_the_building()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        var e = Assert.Throws<DatabaseException>(() => builder.AddActorNet(NodeRole.Coordinator, ["--db", "postgres://db/actornet", "--log-file", ""]));

        Assert.StartsWith("--db: give PostgreSQL as a connection string", e.Message);
    }

    /// <summary>What every node has: ActorNet's serializer for its messages (id 4242), Akka's events
    /// through Serilog at the node's level, no dead-letter lines, nothing on stdout.</summary>
    private static void AssertCommonSettings(ActorSystem system)
    {
        var serializer = system.Serialization.FindSerializerForType(typeof(ReplicaRefused));
        Assert.IsType<ActorNetSerializer>(serializer);
        Assert.Equal(ActorNetSerializer.Id, serializer.Identifier);
        var message = new ReplicaRefused(Guid.NewGuid(), "worker-1", "its data differ");
        Assert.Equal(message, system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(message)));

        var settings = system.Settings;
        Assert.Equal([typeof(SerilogLogger)], settings.Loggers.Select(Type.GetType));
        Assert.Equal(("WARNING", "OFF", 0, false), (settings.LogLevel.ToUpperInvariant(), settings.StdoutLogLevel.ToUpperInvariant(), settings.LogDeadLetters, settings.LogDeadLettersDuringShutdown));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + JoinTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {JoinTimeout}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => _folder.Dispose();
}

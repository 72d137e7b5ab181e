using ActorNet.Hosting;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ActorNet.Tests.Hosting;

/// <summary>Node settings read from configuration: what each takes, and the errors for what it does
/// not (the processes' own output is in the integration tests' NodeStartupTests).</summary>
public sealed class NodeSettingsTests
{
    private static NodeSettings Read(params (string Key, string Value)[] values) => Read(NodeRole.Coordinator, values);

    private static NodeSettings Read(NodeRole role, params (string Key, string Value)[] values) =>
        NodeSettings.From(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build(), role);

    [Fact]
    public void Without_settings_a_node_takes_the_documented_defaults()
    {
        var s = Read();
        Assert.Equal(("127.0.0.1", 4053, null, 0, "Information", 64L * 1024 * 1024, false),
            (s.Host, s.Port, s.PublicHost, s.SeedNodes.Length, s.LogLevel, s.MaximumFrameSize, s.ExitOnStdinClose));
    }

    [Fact]
    public void Each_role_has_its_own_defaults_in_code()
    {
        var worker = Read(NodeRole.Worker, ("ActorNet:SeedNodes:0", "akka.tcp://actornet@coordinator:4053"));
        Assert.Equal((0, "Information"), (worker.Port, worker.LogLevel));
        var example = Read(NodeRole.InProcess("example", journals: false, Serilog.Events.LogEventLevel.Warning));
        Assert.Equal("Warning", example.LogLevel);
        Assert.Equal("Debug", Read(NodeRole.InProcess("example", journals: false, Serilog.Events.LogEventLevel.Warning), ("ActorNet:LogLevel", "debug")).LogLevel);
    }

    [Fact]
    public void A_worker_without_seed_nodes_is_told_how_to_give_them_and_an_in_process_node_needs_none()
    {
        var e = Assert.Throws<NodeSettingsException>(() => Read(NodeRole.Worker));
        Assert.Equal("no seed node given (ActorNet:SeedNodes, ACTORNET__SEEDNODES__0 or --seed akka.tcp://actornet@HOST:PORT)", e.Message);
        Assert.Empty(Read(NodeRole.InProcess("local", journals: true)).SeedNodes);
    }

    [Fact]
    public void A_worker_given_a_bad_seed_hears_about_that_seed_only()
    {
        var e = Assert.Throws<NodeSettingsException>(() => Read(NodeRole.Worker, ("ActorNet:SeedNodes:0", "coordinator:4053")));
        Assert.Equal("ActorNet:SeedNodes:0 = \"coordinator:4053\", from MemoryConfigurationProvider: expected a seed node address akka.tcp://actornet@HOST:PORT", e.Message);
    }

    [Fact]
    public void Good_values_are_taken_whatever_their_case_or_surrounding_spaces()
    {
        var s = Read(("ActorNet:Host", "0.0.0.0"), ("ActorNet:Port", " 0 "), ("ActorNet:PublicHost", "coordinator.internal"),
            ("ActorNet:SeedNodes:0", "akka.tcp://actornet@coordinator:4053"), ("ActorNet:SeedNodes:1", "akka.tcp://actornet@[::1]:4053"),
            ("ActorNet:LogLevel", "warning"), ("ActorNet:MaximumFrameSize", "32000"), ("ActorNet:ExitOnStdinClose", "True"));
        Assert.Equal(("0.0.0.0", 0, "coordinator.internal", "Warning", 32000L, true), (s.Host, s.Port, s.PublicHost, s.LogLevel, s.MaximumFrameSize, s.ExitOnStdinClose));
        Assert.Equal(["akka.tcp://actornet@coordinator:4053", "akka.tcp://actornet@[::1]:4053"], s.SeedNodes);
    }

    [Theory]
    [InlineData("ActorNet:Port", "4o53", "a port number from 0 (any free port) to 65535")]
    [InlineData("ActorNet:Port", "65536", "a port number from 0 (any free port) to 65535")]
    [InlineData("ActorNet:Port", "-1", "a port number from 0 (any free port) to 65535")]
    [InlineData("ActorNet:Host", "my host", "a host name or an IP address")]
    [InlineData("ActorNet:PublicHost", "a\"b", "a host name or an IP address")]
    [InlineData("ActorNet:LogLevel", "3", "one of Verbose, Debug, Information, Warning, Error, Fatal")]
    [InlineData("ActorNet:LogLevel", "Warning, Error", "one of Verbose, Debug, Information, Warning, Error, Fatal")]
    [InlineData("ActorNet:MaximumFrameSize", "1000", "a number of bytes from 32000 to 1073741824")]
    [InlineData("ActorNet:MaximumFrameSize", "64 MiB", "a number of bytes from 32000 to 1073741824")]
    [InlineData("ActorNet:ExitOnStdinClose", "yes", "true or false")]
    [InlineData("ActorNet:SeedNodes:0", "coordinator:4053", "a seed node address akka.tcp://actornet@HOST:PORT")]
    [InlineData("ActorNet:SeedNodes:0", "akka.tcp://actornet@coordinator", "a seed node address akka.tcp://actornet@HOST:PORT")]
    [InlineData("ActorNet:SeedNodes:0", "akka.tcp://actornet@coordinator:4053/user/runs", "a seed node address akka.tcp://actornet@HOST:PORT")]
    [InlineData("ActorNet:SeedNodes:0", "akka.tcp://ActorNet@coordinator:4053",
        "a seed node address akka.tcp://actornet@HOST:PORT (the actor system of every ActorNet node is named \"actornet\")")]
    public void A_value_a_setting_cannot_take_is_an_error_naming_the_setting_and_the_value(string key, string value, string takes)
    {
        var e = Assert.Throws<NodeSettingsException>(() => Read((key, value)));
        Assert.Equal($"{key} = \"{value}\", from MemoryConfigurationProvider: expected {takes}", e.Message);
    }

    [Fact]
    public void Every_bad_value_is_named_one_line_each()
    {
        var e = Assert.Throws<NodeSettingsException>(() => Read(("ActorNet:Port", "x"), ("ActorNet:LogLevel", "loud"), ("ActorNet:Host", "127.0.0.1")));
        Assert.Equal(2, e.Message.Split(Environment.NewLine).Length);
    }
}

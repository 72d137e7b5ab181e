using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorNet.Hosting;

/// <summary>
/// A generic host built with <see cref="ActorNetHosting.AddActorNet"/> and started, whose caller
/// decides when it stops: what the console's in-process commands (<c>actornet local</c>, <c>example</c>,
/// <c>bench</c>'s cases) train in, and what tests start nodes with. Its settings come from
/// appsettings.json beside the program and ACTORNET__* variables, under the values given here (the
/// command's own options). Ctrl+C and SIGTERM are left to the caller: the console finishes a run's
/// step first.
/// </summary>
public sealed class NodeHost : IAsyncDisposable, IDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private NodeHost(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Settings = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<NodeSettings>>().Value;
    }

    /// <summary>The node's actor system, started.</summary>
    public ActorSystem System { get; }

    /// <summary>The settings it was built with.</summary>
    public NodeSettings Settings { get; }

    /// <summary>Builds and starts a node of <paramref name="role"/>.</summary>
    /// <param name="settings">configuration values (ActorNet:Db, ActorNet:LogFile, …) that win over the others</param>
    /// <param name="configure">the node's own actors, as for <see cref="ActorNetHosting.AddActorNet"/></param>
    /// <exception cref="NodeSettingsException">as <see cref="ActorNetHosting.AddActorNet"/></exception>
    public static async Task<NodeHost> StartAsync(NodeRole role, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        Action<AkkaConfigurationBuilder, IServiceProvider>? configure = null, CancellationToken cancellation = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.AddActorNet(role, configure: configure);
        builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellation);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new NodeHost(host);
    }

    /// <summary>Stops the host: the actor system leaves its cluster, if any, and terminates.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }

    public void Dispose()
    {
        StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    /// <summary>A host lifetime that leaves the process's signals alone (the default one stops the
    /// host on Ctrl+C and SIGTERM).</summary>
    private sealed class CallerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Worker.Actors;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

// ActorNet worker: joins the cluster through its seed nodes and hosts model replicas for the
// coordinator's runs at /user/worker. Settings (NodeSettings): appsettings.json if there is one,
// ACTORNET__* variables, the command line (--seed, --port, …); the role's defaults otherwise
// (NodeRole.Worker: any free port; the seed nodes must be given).
//
// A worker outlives its coordinator: when the coordinator leaves the cluster (it died and was
// downed), or this node is downed, the worker's host stops with its actor system, and a new host
// starts that joins the seed nodes again, until the coordinator is back. Only SIGTERM or Ctrl+C
// (the host's own lifetime) ends the process, or the end of its standard input when
// ExitOnStdinClose is set.
var rejoinDelay = TimeSpan.FromSeconds(2);
using var stopping = new CancellationTokenSource();
for (var membership = 1; ; membership++)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
    NodeSettings settings;
    try
    {
        settings = builder.AddActorNet(NodeRole.Worker, args, (akka, _) => akka.WithActors((system, _) =>
        {
            system.ActorOf(WorkerActor.Props(), "worker");
            system.ActorOf(CoordinatorWatchActor.Props(), "coordinator-watch");
        }));
    }
    catch (NodeSettingsException e)
    {
        return NodeStartup.Refuse("worker", e);
    }
    if (membership == 1 && settings.ExitOnStdinClose) StdinWatch.OnEnd(stopping.Cancel);

    using var host = builder.Build();
    // A port already taken, a host name that does not resolve: one line, the details in the log file.
    if (await NodeStartup.RunAsync("worker", () => host.StartAsync()) is { } failed) return failed;
    // Returns when the host stops: on a signal, at the end of standard input (stopping), or when
    // the actor system has terminated (Akka.Hosting stops the host then).
    await host.WaitForShutdownAsync(stopping.Token);
    var reason = CoordinatedShutdown.Get(host.Services.GetRequiredService<ActorSystem>()).ShutdownReason;
    if (stopping.IsCancellationRequested || reason is not (CoordinatorWatchActor.CoordinatorLost or CoordinatedShutdown.ClusterDowningReason))
        break; // SIGTERM, Ctrl+C, the end of standard input: the process ends
    Log.Warning("Worker left the cluster ({Reason}); joining {Seeds} again in {Delay}", reason.GetType().Name, settings.SeedNodes, rejoinDelay);
    try
    {
        await Task.Delay(rejoinDelay, stopping.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }
}
await Log.CloseAndFlushAsync();
return 0;

using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Worker.Actors;
using Akka.Actor;
using Microsoft.Extensions.Configuration;
using Serilog;

// ActorNet worker: joins the cluster through its seed nodes and hosts model replicas for the
// coordinator's runs at /user/worker. Settings: appsettings.json, ACTORNET__* variables, command line.
//
// A worker outlives its coordinator: when the coordinator leaves the cluster (it died and was
// downed), or this node is downed, the worker starts a new actor system that joins the seed nodes
// again, until the coordinator is back. Only SIGTERM or Ctrl+C (Akka's coordinated shutdown,
// run by the CLR's exit hook) ends the process, or the end of its standard input when
// ExitOnStdinClose is set.
var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args, NodeSettings.Switches.ToDictionary())
    .Build();
NodeSettings settings;
try
{
    settings = NodeSettings.From(configuration, defaultPort: 0);
}
catch (NodeSettingsException e)
{
    return NodeStartup.Refuse("worker", e);
}
if (settings.SeedNodes.Length == 0)
{
    Console.Error.WriteLine("worker: no seed node given (ActorNet:SeedNodes, ACTORNET__SEEDNODES__0 or --seed akka.tcp://actornet@HOST:PORT)");
    return 2;
}
Logging.Configure(new LogSettings { Role = "worker", File = settings.LogFile, Level = NodeSettings.ParseLevel(settings.LogLevel) });
// Environment.Exit runs Akka's exit hook: the worker leaves the cluster as on SIGTERM.
if (settings.ExitOnStdinClose) StdinWatch.OnEnd(() => Environment.Exit(0));
var rejoinDelay = TimeSpan.FromSeconds(2);
while (true)
{
    // A port already taken, a host name that does not resolve: one line, the details in the log file.
    ActorSystem system = null!;
    if (await NodeStartup.RunAsync("worker", () =>
        {
            system = ActorSystem.Create(NodeSettings.SystemName, settings.ToAkkaConfig("worker"));
            return Task.CompletedTask;
        }) is { } failed)
        return failed;
    system.ActorOf(WorkerActor.Props(), "worker");
    system.ActorOf(CoordinatorWatchActor.Props(), "coordinator-watch");
    await system.WhenTerminated;
    var reason = CoordinatedShutdown.Get(system).ShutdownReason;
    if (reason is not (CoordinatorWatchActor.CoordinatorLost or CoordinatedShutdown.ClusterDowningReason))
        break; // SIGTERM, Ctrl+C: the process ends
    Log.Warning("Worker left the cluster ({Reason}); joining {Seeds} again in {Delay}", reason.GetType().Name, settings.SeedNodes, rejoinDelay);
    await Task.Delay(rejoinDelay);
}
await Log.CloseAndFlushAsync();
return 0;

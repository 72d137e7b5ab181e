using ActorNet.Actors;
using ActorNet.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// ActorNet worker: joins the cluster through its seed nodes and hosts model replicas for the
// coordinator's runs at /user/worker. Settings: appsettings.json, ACTORNET__* variables, command line.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(args, NodeSettings.Switches.ToDictionary());
var settings = NodeSettings.From(builder.Configuration, defaultPort: 0);
if (settings.SeedNodes.Length == 0)
{
    Console.Error.WriteLine("worker: no seed node given (ActorNet:SeedNodes, ACTORNET__SEEDNODES__0 or --seed akka.tcp://actornet@HOST:PORT)");
    return 2;
}
Logging.Configure(new LogSettings { Role = "worker", File = settings.LogFile, Level = NodeSettings.ParseLevel(settings.LogLevel) });
builder.Services.AddAkka(NodeSettings.SystemName, akka => akka
    .AddHocon(settings.ToAkkaConfig("worker"), HoconAddMode.Prepend)
    .WithActors((system, registry) => registry.Register<WorkerActor>(system.ActorOf(WorkerActor.Props(), "worker"))));
await builder.Build().RunAsync();
return 0;

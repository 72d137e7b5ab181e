using ActorNet.Coordinator.Actors;
using ActorNet.Coordinator.Api;
using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Persistence;
using Akka.Hosting;
using Serilog;

// ActorNet coordinator: forms the cluster (it is its own seed unless told otherwise), runs
// the training runs (schedule, parameter shards, evaluation) and serves the HTTP API.
// Settings: appsettings.json, ACTORNET__* variables, command line (--host, --port, --urls, …).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(args, NodeSettings.Switches.ToDictionary());
var settings = NodeSettings.From(builder.Configuration, defaultPort: 4053);
if (settings.SeedNodes.Length == 0)
    settings = settings with { SeedNodes = [$"akka.tcp://{NodeSettings.SystemName}@{settings.PublicHost ?? settings.Host}:{settings.Port}"] };
Logging.Configure(new LogSettings { Role = "coordinator", File = settings.LogFile, Level = NodeSettings.ParseLevel(settings.LogLevel) });
// Runs are journaled and checkpointed here; a bad database stops the coordinator before it joins anything.
Database database;
try
{
    database = Database.Parse(settings.Db);
    database.PrepareForWriting();
}
catch (DatabaseException e)
{
    Console.Error.WriteLine($"coordinator: {e.Message}");
    return 2;
}
builder.Host.UseSerilog();
builder.Services.AddAkka(NodeSettings.SystemName, akka => akka
    .AddHocon(database.ToAkkaConfig().WithFallback(settings.ToAkkaConfig("coordinator")), HoconAddMode.Prepend)
    .AddSetup(database.ToAkkaSetup())
    .WithActors((system, registry) => registry.Register<RunManagerActor>(system.ActorOf(RunManagerActor.Props(RunStorage.Sql), "runs"))));

var app = builder.Build();
RunsApi.Map(app);
if (settings.ExitOnStdinClose) StdinWatch.OnEnd(app.Lifetime.StopApplication);
app.Lifetime.ApplicationStarted.Register(() =>
    Log.Information("Coordinator up: cluster {Host}:{Port}, API {Urls}, database {Database}", settings.Host, settings.Port, string.Join(", ", app.Urls), database.Display));
await app.RunAsync();
return 0;

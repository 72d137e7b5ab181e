using ActorNet.Coordinator.Actors;
using ActorNet.Coordinator.Api;
using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Persistence;
using Akka.Hosting;
using Serilog;

// ActorNet coordinator: forms the cluster (it is its own seed unless told otherwise), runs
// the training runs (schedule, parameter shards, evaluation) and serves the HTTP API.
// Settings (NodeSettings): appsettings.json if there is one, ACTORNET__* variables, the command
// line (--host, --port, --db, --urls, …); the role's defaults otherwise (NodeRole.Coordinator).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
NodeSettings settings;
try
{
    settings = builder.AddActorNet(NodeRole.Coordinator, args, (akka, services) => akka.WithActors((system, registry) =>
        registry.Register<RunManagerActor>(system.ActorOf(RunManagerActor.Props(RunStorage.Sql,
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<NodeSettings>>().Value.MaxRunBytes), "runs"))));
    CheckUrls(builder.Configuration);
}
catch (NodeSettingsException e)
{
    return NodeStartup.Refuse("coordinator", e);
}
catch (DatabaseException e)
{
    Console.Error.WriteLine($"coordinator: {e.Message}");
    return 2;
}
// The HTTP API's address when none is given (Urls, --urls, ASPNETCORE_URLS): loopback, port 5080.
if (builder.Configuration["Urls"] is null) builder.WebHost.UseUrls("http://127.0.0.1:5080");
var app = builder.Build();
// Runs are journaled and checkpointed in the database of the settings (Db, --db); a bad one, or
// one another coordinator uses, stops the coordinator before it joins anything.
var database = app.Services.GetRequiredService<Database>();
CoordinatorLock databaseLock;
try
{
    database.PrepareForWriting();
    databaseLock = CoordinatorLock.Acquire(database); // held until the process ends
}
catch (DatabaseException e)
{
    Console.Error.WriteLine($"coordinator: {e.Message}");
    return 2;
}
RunsApi.Map(app);
// On PostgreSQL the lock goes with its connection: taken again when that is lost, and if another
// coordinator took it meanwhile, this one stops (exit code 1) instead of writing the same runs.
string? lockLost = null;
databaseLock.Watch(TimeSpan.FromSeconds(5), notice: problem => Log.Warning("{Problem}", problem), lost: problem =>
{
    Log.Error("{Problem}", problem);
    lockLost = problem;
    app.Lifetime.StopApplication();
});
if (settings.ExitOnStdinClose) StdinWatch.OnEnd(app.Lifetime.StopApplication);
app.Lifetime.ApplicationStarted.Register(() =>
    Log.Information("Coordinator up: cluster {Address}, API {Urls}, database {Database}",
        Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<Akka.Actor.ActorSystem>()).SelfAddress, string.Join(", ", app.Urls), database.Display));
// A port already taken, a host name that does not resolve: one line, the details in the log file.
if (await NodeStartup.RunAsync("coordinator", () => app.StartAsync()) is { } failed) return failed;
await app.WaitForShutdownAsync();
databaseLock.Dispose();
if (lockLost is null) return 0;
Console.Error.WriteLine($"coordinator: {lockLost}");
return 1;

// Urls (--urls, ASPNETCORE_URLS): each of its addresses, separated by ';', must be a URL Kestrel can bind.
static void CheckUrls(IConfiguration configuration)
{
    var urls = configuration["urls"];
    if (urls is null) return;
    foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        try
        {
            Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            throw new NodeSettingsException(NodeSettings.Problem(configuration, "Urls", urls, "URLs like http://127.0.0.1:5080, separated by ';'"));
        }
    }
}

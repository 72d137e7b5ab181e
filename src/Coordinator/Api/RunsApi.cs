using System.Globalization;
using ActorNet.Coordinator.Actors;
using Akka.Actor;
using Akka.Hosting;

namespace ActorNet.Coordinator.Api;

/// <summary>
/// The HTTP API: <c>POST /api/runs</c> (a run spec as the body; <c>?minWorkers=N</c>) answers
/// 201 with <c>{"id": …}</c> or 400 with <c>{"errors": [...]}</c>; <c>GET /api/runs</c>;
/// <c>GET /api/runs/{id}</c> (state, epoch, step, losses, accuracy, workers, events);
/// <c>POST /api/runs/{id}/stop</c>.
/// </summary>
public static class RunsApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    public static void Map(WebApplication app)
    {
        var runs = app.MapGroup("/api/runs");

        // minWorkers and the ids are read here, not bound by ASP.NET Core: a value it cannot bind
        // would get an empty 400 or 404, with nothing that says what was wrong.
        runs.MapPost("/", async (HttpRequest request, IRequiredActor<RunManagerActor> manager, string? minWorkers) =>
        {
            var workers = 1;
            if (minWorkers is not null && !int.TryParse(minWorkers, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out workers))
                return Results.BadRequest(new { errors = new[] { $"minWorkers: expected a whole number, found \"{minWorkers}\"" } });
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var answer = await (await manager.GetAsync()).Ask<object>(new SubmitRun(body, workers), AskTimeout);
            return answer switch
            {
                RunAccepted a => Results.Created($"/api/runs/{a.RunId}", new { id = a.RunId }),
                RunRejected r => Results.BadRequest(new { errors = r.Errors }),
                _ => Results.Problem("unexpected answer from the run manager"),
            };
        });

        runs.MapGet("/", async (IRequiredActor<RunManagerActor> manager) =>
            Results.Ok((await (await manager.GetAsync()).Ask<CurrentRuns>(GetRuns.Instance, AskTimeout)).Runs));

        runs.MapGet("/{id}", async (string id, IRequiredActor<RunManagerActor> manager) =>
            !Guid.TryParse(id, out var run) ? NotARunId(id)
            : (await (await manager.GetAsync()).Ask<CurrentRun>(new GetRun(run), AskTimeout)).Run is { } found
                ? Results.Ok(found)
                : NoRun(run));

        runs.MapPost("/{id}/stop", async (string id, IRequiredActor<RunManagerActor> manager) =>
            !Guid.TryParse(id, out var run) ? NotARunId(id)
            : (await (await manager.GetAsync()).Ask<CurrentRun>(new CancelRun(run), AskTimeout)).Run is { } found
                ? Results.Accepted($"/api/runs/{run}", found)
                : NoRun(run));
    }

    private static IResult NoRun(Guid id) => Results.NotFound(new { errors = new[] { $"no run {id}" } });

    private static IResult NotARunId(string id) =>
        Results.NotFound(new { errors = new[] { $"no run \"{id}\": a run id is a GUID, as POST /api/runs answered (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)" } });
}

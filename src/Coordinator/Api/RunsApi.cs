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

        runs.MapPost("/", async (HttpRequest request, IRequiredActor<RunManagerActor> manager, int? minWorkers) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var answer = await (await manager.GetAsync()).Ask<object>(new SubmitRun(body, minWorkers ?? 1), AskTimeout);
            return answer switch
            {
                RunAccepted a => Results.Created($"/api/runs/{a.RunId}", new { id = a.RunId }),
                RunRejected r => Results.BadRequest(new { errors = r.Errors }),
                _ => Results.Problem("unexpected answer from the run manager"),
            };
        });

        runs.MapGet("/", async (IRequiredActor<RunManagerActor> manager) =>
            Results.Ok((await (await manager.GetAsync()).Ask<CurrentRuns>(GetRuns.Instance, AskTimeout)).Runs));

        runs.MapGet("/{id:guid}", async (Guid id, IRequiredActor<RunManagerActor> manager) =>
            (await (await manager.GetAsync()).Ask<CurrentRun>(new GetRun(id), AskTimeout)).Run is { } run
                ? Results.Ok(run)
                : Results.NotFound(new { errors = new[] { $"no run {id}" } }));

        runs.MapPost("/{id:guid}/stop", async (Guid id, IRequiredActor<RunManagerActor> manager) =>
            (await (await manager.GetAsync()).Ask<CurrentRun>(new CancelRun(id), AskTimeout)).Run is { } run
                ? Results.Accepted($"/api/runs/{id}", run)
                : Results.NotFound(new { errors = new[] { $"no run {id}" } }));
    }
}

using System.Globalization;
using ActorNet.Coordinator.Actors;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace ActorNet.Coordinator.Api;

/// <summary>
/// The HTTP API: <c>POST /api/runs</c> (a run spec as the body; <c>?minWorkers=N</c>) answers
/// 201 with <c>{"id": …}</c> or 400 with <c>{"errors": [...]}</c>; <c>GET /api/runs</c>;
/// <c>GET /api/runs/{id}</c> (state, epoch, step, losses, accuracy, workers, events);
/// <c>POST /api/runs/{id}/stop</c>. Every error, the framework's included (a body over the
/// size limit, a content type that is not JSON, a run manager that does not answer in time), is
/// <c>{"errors": [...]}</c>.
/// </summary>
public static class RunsApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    public static void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                await Errors(e.StatusCode == StatusCodes.Status413PayloadTooLarge && limit is { } bytes
                    ? $"the request body is over the {bytes:N0} bytes a request may have"
                    : e.Message).ExecuteAsync(context, e.StatusCode);
            }
            catch (AskTimeoutException) when (!context.Response.HasStarted)
            {
                await Errors($"the run manager did not answer within {AskTimeout.TotalSeconds:F0} s; try again")
                    .ExecuteAsync(context, StatusCodes.Status503ServiceUnavailable);
            }
        });
        var runs = app.MapGroup("/api/runs");

        // minWorkers and the ids are read here, not bound by ASP.NET Core: a value it cannot bind
        // would get an empty 400 or 404, with nothing that says what was wrong.
        runs.MapPost("/", async (HttpRequest request, IRequiredActor<RunManagerActor> manager, string? minWorkers) =>
        {
            if (request.ContentType is { } type && !IsJson(type))
                return Results.Json(new { errors = new[] { $"Content-Type: a run spec is JSON (application/json), not {type}" } },
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
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

    /// <summary>application/json, text/json or any …+json type, whatever its charset.</summary>
    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType.Value is { } media
        && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static ErrorsResult Errors(string error) => new(error);

    /// <summary>{"errors": [error]} with the status the caller gives.</summary>
    private sealed record ErrorsResult(string Error)
    {
        public Task ExecuteAsync(HttpContext context, int status) =>
            Results.Json(new { errors = new[] { Error } }, statusCode: status).ExecuteAsync(context);
    }

    private static IResult NoRun(Guid id) => Results.NotFound(new { errors = new[] { $"no run {id}" } });

    private static IResult NotARunId(string id) =>
        Results.NotFound(new { errors = new[] { $"no run \"{id}\": a run id is a GUID, as POST /api/runs answered (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)" } });
}

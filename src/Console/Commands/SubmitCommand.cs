using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace ActorNet.Cli.Commands;

/// <summary><c>actornet submit SPEC --coordinator URL [--watch]</c>: hands a run spec to a
/// coordinator's HTTP API and, with --watch, follows the run to its end.</summary>
internal static class SubmitCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "run spec JSON file" };
        var coordinator = new Option<string>("--coordinator") { Description = "the coordinator's HTTP address", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var minWorkers = new Option<int>("--min-workers") { Description = "workers the first step waits for", DefaultValueFactory = _ => 1 };
        var watch = new Option<bool>("--watch") { Description = "follow the run until it ends" };
        var command = new Command("submit", "Submit a run spec to a coordinator") { spec, coordinator, minWorkers, watch };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(spec)!, parse.GetValue(coordinator)!, parse.GetValue(minWorkers), parse.GetValue(watch), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo spec, string coordinatorText, int minWorkers, bool watch, CancellationToken cancellation)
    {
        if (!Uri.TryCreate(coordinatorText, UriKind.Absolute, out var coordinator) || coordinator.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"--coordinator: '{coordinatorText}' is not an http:// or https:// address");
            return 2;
        }
        string body;
        try
        {
            body = await File.ReadAllTextAsync(spec.FullName, cancellation);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"{spec.FullName}: cannot read the file: {e.Message}");
            return 2;
        }
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = TimeSpan.FromSeconds(90) };
        try
        {
            using var response = await http.PostAsync($"/api/runs?minWorkers={minWorkers}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), cancellation);
            var answer = await response.Content.ReadFromJsonAsync<SubmitAnswer>(Json, cancellation);
            if (!response.IsSuccessStatusCode || answer?.Id is not { } id)
            {
                Console.Error.WriteLine($"{spec.Name}: the coordinator refused the run:");
                foreach (var e in answer?.Errors ?? [$"HTTP {(int)response.StatusCode}"]) Console.Error.WriteLine($"  {e}");
                return 2;
            }
            Console.Out.WriteLine(id);
            return watch ? await WatchAsync(http, id, cancellation) : 0;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"cannot reach the coordinator at {coordinator}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return 130; // Ctrl+C stops watching; the run goes on
        }
    }

    /// <summary>Polls the run's status once a second, printing each new epoch, until it ends.
    /// A coordinator that stops answering (killed, restarting) does not end the watch: a run
    /// survives its coordinator's crash and goes on when it is back, so the watch says so on
    /// stderr and keeps asking.</summary>
    private static async Task<int> WatchAsync(HttpClient http, Guid id, CancellationToken cancellation)
    {
        var shown = 0;
        var events = 0;
        var lost = false;
        while (true)
        {
            Status? s;
            try
            {
                using var response = await http.GetAsync($"/api/runs/{id}", cancellation);
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    Console.Error.WriteLine($"the coordinator at {http.BaseAddress} does not know run {id} (a coordinator on another database?)");
                    return 2;
                }
                if ((int)response.StatusCode >= 500) throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
                s = await response.Content.ReadFromJsonAsync<Status>(Json, cancellation) ?? throw new HttpRequestException($"no status for run {id}");
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellation.IsCancellationRequested))
            {
                if (!lost) Console.Error.WriteLine($"lost the coordinator at {http.BaseAddress} ({e.Message}); still watching run {id}, which goes on when it is back (Ctrl+C stops watching)");
                lost = true;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                continue;
            }
            if (lost) Console.Error.WriteLine($"the coordinator is back: run {id} is {s.State} at step {s.Step:N0}");
            lost = false;
            // A coordinator started again lists the events from its start on.
            if (s.Events.Count < events) events = 0;
            foreach (var e in s.Events.Skip(events)) Console.Out.WriteLine($"  {e}");
            events = s.Events.Count;
            if (s.Epoch > shown)
            {
                Console.Out.WriteLine($"epoch {s.Epoch}/{s.Epochs}  train loss {s.TrainLoss:F4}  test loss {s.TestLoss:F4}  test accuracy {s.TestAccuracy:P2}  {s.SamplesPerSecond:N0} samples/s  {s.Workers} worker(s)");
                shown = s.Epoch;
            }
            switch (s.State)
            {
                case "completed":
                    Console.Out.WriteLine($"Run {id} completed: {s.Step:N0} steps.");
                    return 0;
                case "cancelled":
                    Console.Out.WriteLine($"Run {id} was stopped after {s.Step:N0} steps.");
                    return 130;
                case "failed":
                    Console.Error.WriteLine($"Run {id} failed: {s.Error}");
                    return 1;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        }
    }

    private sealed record SubmitAnswer(Guid? Id, IReadOnlyList<string>? Errors);

    private sealed record Status(string State, int Epoch, int Epochs, long Step, double? TrainLoss, double? TestLoss,
        double? TestAccuracy, double? SamplesPerSecond, int Workers, IReadOnlyList<string> Events, string? Error);
}

using System.Reflection;
using Akka.Remote;
using Serilog;
using Serilog.Events;

namespace ActorNet.Hosting;

/// <summary>
/// How a node starts, and what it prints when it cannot (its port is taken, its host name does
/// not resolve): the whole exception goes to the log file, and stderr gets one last line made of
/// the messages along the exception's chain, without the wrappers' boilerplate. While a node is
/// starting the console shows log events one line each (see <see cref="Logging.Configure"/>).
/// </summary>
public static class NodeStartup
{
    private const string Source = "ActorNet.Startup";
    private static volatile bool _starting;

    /// <summary>Whether the node is starting (inside <see cref="RunAsync"/>).</summary>
    public static bool Starting => _starting;

    /// <summary>Runs <paramref name="start"/>. Returns null when it succeeded; else logs the
    /// exception, prints "ROLE: cannot start: …" on stderr and returns the exit code for it, 2.</summary>
    /// <remarks>Akka.Hosting writes a failed start's whole exception to stdout as well as to the
    /// log, and an actor system that failed to start logs to stdout as it stops; so stdout is held
    /// back until the start is over (the logs go to stderr), and after a failure nothing more is
    /// written to either stream but that line. Stderr goes through a <see cref="ClosableWriter"/>
    /// meanwhile, closed before that line, so that no log line can come after it.</remarks>
    public static async Task<int?> RunAsync(string role, Func<Task> start)
    {
        var stdout = Console.Out;
        var stderr = Console.Error;
        var held = new StringWriter();
        var errors = new ClosableWriter(stderr);
        _starting = true;
        Console.SetOut(held);
        Console.SetError(errors);
        try
        {
            await start();
        }
        catch (Exception e)
        {
            Console.SetOut(TextWriter.Null);
            errors.Close();
            Log.ForContext(Serilog.Core.Constants.SourceContextPropertyName, Source).Fatal(e, "{Role} could not start", role);
            await Log.CloseAndFlushAsync();
            await stderr.WriteLineAsync($"{role}: cannot start: {Describe(e)}");
            return 2;
        }
        Console.SetOut(stdout);
        Console.SetError(stderr);
        errors.Flush(); // a partial line written while starting
        await stdout.WriteAsync(held.ToString());
        _starting = false;
        return null;
    }

    /// <summary>Prints the settings a node cannot start with, "ROLE: …" for each line of
    /// <paramref name="problem"/>, on stderr. Returns the exit code for it, 2.</summary>
    public static int Refuse(string role, NodeSettingsException problem)
    {
        foreach (var line in problem.Message.Split(Environment.NewLine)) Console.Error.WriteLine($"{role}: {line}");
        return 2;
    }

    /// <summary>"Failed to bind to [127.0.0.1:4053]: Address already in use", named as the cluster
    /// endpoint when Akka.Remote could not listen.</summary>
    public static string Describe(Exception exception)
    {
        var messages = new List<string>();
        var cluster = false;
        for (var e = exception; e is not null; e = e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e.InnerException)
        {
            cluster |= e is RemoteTransportException;
            if (e is AggregateException or TargetInvocationException) continue;
            var message = e.Message.Replace("See InnerException for details.", "", StringComparison.Ordinal).Trim().TrimEnd('.');
            // Kestrel: "Failed to bind to address …: address already in use", then "Address already in use".
            if (message.Length == 0 || messages.Any(m => m.Contains(message, StringComparison.OrdinalIgnoreCase))) continue;
            messages.Add(message);
        }
        var text = string.Join(": ", messages);
        return cluster ? $"cluster endpoint (ActorNet:Host, ActorNet:Port): {text}" : text;
    }

    /// <summary>A report of a failed start: the hosts' own (Akka.Hosting, the .NET host) and
    /// <see cref="RunAsync"/>'s, which the console leaves out while starting.</summary>
    public static bool IsReport(LogEvent e) =>
        e.Exception is not null && e.Level >= LogEventLevel.Error
        && e.Properties.TryGetValue(Serilog.Core.Constants.SourceContextPropertyName, out var source) && source is ScalarValue { Value: string name }
        && name is Source or "Akka.Hosting.AkkaHostedService" or "Microsoft.Extensions.Hosting.Internal.Host";
}

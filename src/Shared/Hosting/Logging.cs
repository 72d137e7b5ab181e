using Akka.Event;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ActorNet.Hosting;

/// <summary>Where and how much a process logs. Defaults: information and up, as compact JSON
/// (one event per line) to <c>logs/actornet-{role}.log</c>; warnings and up also on stderr.</summary>
public sealed record LogSettings
{
    /// <summary>The process's role (<see cref="NodeRole.Name"/>): a property of every event, and the log file's name.</summary>
    public string Role { get; init; } = "console";
    /// <summary>The log file; null: logs/actornet-ROLE.log; empty: none (stderr only).</summary>
    public string? File { get; init; }
    public LogEventLevel Level { get; init; } = LogEventLevel.Information;
    public LogEventLevel ConsoleLevel { get; init; } = LogEventLevel.Warning;

    /// <summary>The log file, or empty for none.</summary>
    public string FilePath => File ?? Path.Combine("logs", $"actornet-{Role}.log");
}

/// <summary>The Serilog setup every ActorNet process shares: Akka's own log events go through
/// Serilog too (Akka.Logger.Serilog, <see cref="ActorNetHosting.AddActorNet"/>), so a node has one
/// log with structured properties.</summary>
public static class Logging
{
    private static readonly Lock Gate = new();
    private static (LogSettings Settings, Serilog.Core.Logger Logger)? _current;

    /// <summary>Makes <paramref name="settings"/> the process's logger (<see cref="Log.Logger"/>). Called
    /// again with the same settings (a worker's host started anew) it keeps the logger it made; with
    /// others it closes that one first, so that its file is never open twice.</summary>
    public static ILogger Configure(LogSettings settings)
    {
        lock (Gate)
        {
            if (_current is { } current && current.Settings == settings) return current.Logger;
            if (_current is { } previous)
            {
                Log.Logger = Serilog.Core.Logger.None;
                previous.Logger.Dispose();
            }
            var logger = Create(settings);
            _current = (settings, logger);
            Log.Logger = logger;
            return logger;
        }
    }

    private static Serilog.Core.Logger Create(LogSettings settings)
    {
        var configuration = new LoggerConfiguration();
        if (settings.FilePath.Length > 0) configuration.WriteTo.File(new CompactJsonFormatter(), settings.FilePath);
        return configuration
            .MinimumLevel.Is(settings.Level)
            // ASP.NET Core writes several lines per HTTP request at Information: keep them out.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.WithProperty("Role", settings.Role)
            .Enrich.WithProperty("Pid", Environment.ProcessId)
            // Until a node is up, the console shows each event as one line, without its exception,
            // and leaves out the reports of a failed start: the node prints that as one line itself
            // (NodeStartup). The file has every exception whole.
            .WriteTo.Logger(console => console
                .Filter.ByIncludingOnly(e => !NodeStartup.Starting || !NodeStartup.IsReport(e))
                .WriteTo.Logger(brief => brief
                    .Filter.ByIncludingOnly(_ => NodeStartup.Starting)
                    .WriteTo.Console(restrictedToMinimumLevel: settings.ConsoleLevel, standardErrorFromLevel: LogEventLevel.Verbose,
                        outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}"))
                .WriteTo.Logger(full => full
                    .Filter.ByExcluding(_ => NodeStartup.Starting)
                    .WriteTo.Console(restrictedToMinimumLevel: settings.ConsoleLevel, standardErrorFromLevel: LogEventLevel.Verbose)))
            .CreateLogger();
    }

    /// <summary>Akka's level for a Serilog one: Akka has no Verbose or Fatal.</summary>
    public static LogLevel AkkaLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => LogLevel.DebugLevel,
        LogEventLevel.Information => LogLevel.InfoLevel,
        LogEventLevel.Warning => LogLevel.WarningLevel,
        _ => LogLevel.ErrorLevel,
    };
}

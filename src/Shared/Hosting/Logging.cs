using Akka.Actor;
using Akka.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ActorNet.Hosting;

/// <summary>Where and how much a process logs. Defaults: information and up, as compact JSON
/// (one event per line) to <c>logs/actornet-{role}.log</c>; warnings and up also on stderr.</summary>
public sealed record LogSettings
{
    public string Role { get; init; } = "console";
    public string? File { get; init; }
    public LogEventLevel Level { get; init; } = LogEventLevel.Information;
    public LogEventLevel ConsoleLevel { get; init; } = LogEventLevel.Warning;

    public string FilePath => File ?? Path.Combine("logs", $"actornet-{Role}.log");
}

/// <summary>The Serilog and Akka setup every ActorNet process shares: Akka's own log events go
/// through Serilog (Akka.Logger.Serilog), so a node has one log with structured properties.</summary>
public static class Logging
{
    public static ILogger Configure(LogSettings settings)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(settings.Level)
            // ASP.NET Core writes several lines per HTTP request at Information: keep them out.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.WithProperty("Role", settings.Role)
            .Enrich.WithProperty("Pid", Environment.ProcessId)
            .WriteTo.File(new CompactJsonFormatter(), settings.FilePath)
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
        Log.Logger = logger;
        return logger;
    }

    /// <summary>HOCON that routes Akka's logging into Serilog at the given level.</summary>
    public static Config AkkaConfig(LogEventLevel level) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = {{AkkaLevel(level)}}
          stdout-loglevel = OFF
          loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
          logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
          log-dead-letters = 0
          log-dead-letters-during-shutdown = off
        }
        """);

    /// <summary>An actor system for one process that runs everything locally, journaling runs
    /// to <paramref name="database"/> (through our serializer) when one is given. The console
    /// handles Ctrl+C itself (the run finishes its step and stops), so Akka must not shut the
    /// system down from the CLR's exit hook before that.</summary>
    public static ActorSystem LocalSystem(string name, LogSettings settings, Persistence.Database? database = null)
    {
        var config = ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off")
            .WithFallback(Serialization.ActorNetSerializer.Configuration)
            .WithFallback(Formats.StoredSerializer.Configuration)
            .WithFallback(AkkaConfig(settings.Level));
        if (database is null) return ActorSystem.Create(name, config);
        var setup = BootstrapSetup.Create().WithConfig(database.ToAkkaConfig().WithFallback(config)).And(database.ToAkkaSetup());
        return ActorSystem.Create(name, setup);
    }

    private static string AkkaLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
        LogEventLevel.Information => "INFO",
        LogEventLevel.Warning => "WARNING",
        _ => "ERROR",
    };
}

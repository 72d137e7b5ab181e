using System.CommandLine;
using ActorNet.Persistence;

namespace ActorNet.Cli.Commands;

/// <summary>The <c>--db</c> option every command that touches runs' storage shares.</summary>
internal static class DbOption
{
    public static Option<string?> Create() => new("--db")
    {
        Description = $"SQLite file or connection string (\"Host=…;Database=…;Username=…;Password=…\" for PostgreSQL); default {Database.DefaultFile}, or ACTORNET__DB",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ACTORNET__DB"),
    };
}

using ActorNet.Persistence;
using Npgsql;
using Xunit;

namespace ActorNet.Tests;

/// <summary>
/// A database of its own for one test, removed afterwards (also when the test fails): a SQLite
/// file in a scratch folder, or a fresh PostgreSQL database on the server named by the
/// ACTORNET_TEST_POSTGRES connection string (an account that may create databases; .ci/run
/// installs and starts one). Without that variable, PostgreSQL tests are skipped and say why.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public const string PostgresVariable = "ACTORNET_TEST_POSTGRES";

    private readonly string? _folder;
    private readonly string? _adminConnection;
    private readonly string? _databaseName;

    private TestDatabase(Database database, string argument, string? folder, string? adminConnection, string? databaseName)
    {
        Database = database;
        Argument = argument;
        _folder = folder;
        _adminConnection = adminConnection;
        _databaseName = databaseName;
    }

    /// <summary>The providers every persistence test runs on.</summary>
    public static TheoryData<string> Providers => new() { "sqlite", "postgresql" };

    public Database Database { get; }

    /// <summary>What to pass to <c>--db</c>.</summary>
    public string Argument { get; }

    public static TestDatabase Create(string provider) => provider switch
    {
        "sqlite" => Sqlite(),
        "postgresql" => Postgres(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "sqlite or postgresql"),
    };

    public static TestDatabase Sqlite()
    {
        var folder = Path.Combine(Path.GetTempPath(), "actornet-db-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "actornet.db");
        return new TestDatabase(Database.Parse(file), file, folder, null, null);
    }

    public static TestDatabase Postgres()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        Skip.If(string.IsNullOrWhiteSpace(admin),
            $"PostgreSQL not available: {PostgresVariable} is not set (.ci/run installs and starts a server and sets it)");
        var name = "actornet_test_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(admin))
        {
            try
            {
                connection.Open();
            }
            catch (NpgsqlException e)
            {
                Skip.If(true, $"PostgreSQL not available: cannot connect with {PostgresVariable} ({e.Message})");
            }
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
        return new TestDatabase(Database.Parse(connectionString), connectionString, null, admin, name);
    }

    /// <summary>Ends, as an administrator or a server restart would, every session of this
    /// PostgreSQL database that holds an advisory lock (the coordinators' lock); how many there were.</summary>
    public int EndAdvisoryLockSessions()
    {
        using var connection = new NpgsqlConnection(Database.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand("""
            SELECT count(*) FROM (
              SELECT pg_terminate_backend(pid) FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) ended
            """, connection);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_folder is not null && Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        if (_adminConnection is null) return;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(_adminConnection);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }
}

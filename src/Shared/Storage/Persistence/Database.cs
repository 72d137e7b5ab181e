using System.Data.Common;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActorNet.Persistence;

public enum DatabaseProvider { Sqlite, PostgreSql }

/// <summary>A database ActorNet cannot use: missing, not a database, unreachable. The message is one line that names it.</summary>
public sealed class DatabaseException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where runs are journaled and checkpointed (Akka.Persistence.Sql). One setting, <c>--db</c>
/// (ActorNet:Db, ACTORNET__DB): a SQLite file path, or a connection string — "Host=…;Database=…;
/// Username=…" for PostgreSQL, "Data Source=…" for SQLite. Default: the SQLite file
/// <see cref="DefaultFile"/>, created on first start.
/// </summary>
public sealed record Database(DatabaseProvider Provider, string ConnectionString)
{
    public const string DefaultFile = "data/actornet.db";

    /// <summary>The journal and snapshot-store plugins <see cref="ToAkkaConfig"/> configures.</summary>
    public const string JournalPluginId = "akka.persistence.journal.sql";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";

    public static Database Default => Parse(null);

    /// <param name="value">a file path or a connection string; null or empty: <see cref="DefaultFile"/></param>
    public static Database Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) value = DefaultFile;
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            throw new DatabaseException($"--db: give PostgreSQL as a connection string (Host=…;Database=…;Username=…;Password=…), not a URL");
        if (!value.Contains('=')) return new Database(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = value }.ToString());
        DbConnectionStringBuilder keys;
        try
        {
            keys = new DbConnectionStringBuilder { ConnectionString = value };
        }
        catch (ArgumentException e)
        {
            throw new DatabaseException($"--db: not a connection string ({e.Message})");
        }
        if (keys.ContainsKey("Host") || keys.ContainsKey("Server") || keys.ContainsKey("Username"))
            return new Database(DatabaseProvider.PostgreSql, value);
        if (keys.ContainsKey("Data Source") || keys.ContainsKey("DataSource") || keys.ContainsKey("Filename"))
            return new Database(DatabaseProvider.Sqlite, value);
        throw new DatabaseException($"--db: cannot tell the database from '{Redacted(value)}': give a SQLite file, \"Data Source=FILE\" or \"Host=…;Database=…;Username=…\"");
    }

    /// <summary>LinqToDB's name of the provider, as Akka.Persistence.Sql takes it.</summary>
    public string ProviderName => ProviderNameOf(Provider);

    /// <summary>The SQLite file, or null for PostgreSQL.</summary>
    public string? File => Provider == DatabaseProvider.Sqlite ? new SqliteConnectionStringBuilder(ConnectionString).DataSource : null;

    /// <summary>For messages: the file, or host and database (never the password).</summary>
    public string Display => Provider == DatabaseProvider.Sqlite
        ? File!
        : new NpgsqlConnectionStringBuilder(ConnectionString) is var b ? $"postgresql://{b.Host}:{b.Port}/{b.Database}" : "";

    /// <summary>HOCON that makes Akka.Persistence.Sql (journal and snapshot store) the default
    /// persistence of the actor system, on this database, with the serializer of the records it
    /// stores (<see cref="Formats.StoredSerializer"/>). Tables are created on first start.
    /// The plugins are Akka.Persistence.Sql's, as <see cref="StoredJournal"/> and <see cref="StoredSnapshotStore"/>,
    /// which say where a record they cannot read lies.
    /// Give <see cref="ToAkkaSetup"/> to the actor system with it. On SQLite it also loads
    /// <see cref="WalCheckpoints"/>, which copies the write-ahead log into the file in the background.</summary>
    public Config ToAkkaConfig()
    {
        var provider = ProviderNameOf(Provider);
        var connection = Quote(ConnectionString);
        var checkpoints = Provider == DatabaseProvider.Sqlite
            ? $$"""
              akka.extensions = ["{{typeof(WalCheckpointsProvider).FullName}}, {{typeof(WalCheckpointsProvider).Assembly.GetName().Name}}"]
              {{WalCheckpoints.ConnectionStringPath}} = {{connection}}
              """
            : "";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                sql { class = "{{TypeName(typeof(StoredJournal))}}", connection-string = {{connection}}, provider-name = "{{provider}}", auto-initialize = on }
              }
              snapshot-store {
                plugin = "{{SnapshotPluginId}}"
                sql { class = "{{TypeName(typeof(StoredSnapshotStore))}}", connection-string = {{connection}}, provider-name = "{{provider}}", auto-initialize = on }
              }
            }
            {{checkpoints}}
            """)
            .WithFallback(Formats.StoredSerializer.Configuration) // what is journaled is written in the stored formats
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration); // the plugins' own defaults (classes, table layout)
    }

    /// <summary>How Akka.Persistence.Sql opens its connections (an actor-system setup, given with
    /// <see cref="ToAkkaConfig"/>). On SQLite each connection
    /// <list type="bullet">
    /// <item>turns automatic write-ahead-log checkpoints off, so that a commit returns once it is
    /// in the log, and <see cref="WalCheckpoints"/> copies the log into the file in the
    /// background (its summary says why);</item>
    /// <item>waits for a busy database inside SQLite (<c>busy_timeout</c>, retries after 1, 2, 5,
    /// 10… ms). The journal and the snapshot store write through connections of their own, so
    /// an epoch's events and the save of its checkpoint meet at the write lock; without it,
    /// Microsoft.Data.Sqlite retries a busy statement after sleeping 150 ms, and a small run's
    /// epochs took 130 to 260 ms instead of a few (circles, <c>actornet local</c>).</item>
    /// </list></summary>
    public DataOptionsSetup ToAkkaSetup() => new(ToDataOptions());

    /// <summary>The connection options of <see cref="ToAkkaSetup"/>.</summary>
    internal DataOptions ToDataOptions()
    {
        var options = new DataOptions().UseConnectionString(ProviderNameOf(Provider), ConnectionString);
        // linq2db runs this after asynchronous opens too (no asynchronous variant given); the
        // pragmas only set connection state, so running them synchronously waits for nothing.
        return Provider == DatabaseProvider.Sqlite
            ? options.UseAfterConnectionOpened(connection => Execute(connection, SqliteConnectionPragmas))
            : options;
    }

    /// <summary>Run on every connection Akka.Persistence.Sql opens to SQLite (see <see cref="ToAkkaSetup"/>);
    /// 30 s is Microsoft.Data.Sqlite's own default command timeout.</summary>
    private const string SqliteConnectionPragmas = "PRAGMA wal_autocheckpoint=0; PRAGMA busy_timeout=30000";

    private static string ProviderNameOf(DatabaseProvider provider) =>
        provider == DatabaseProvider.Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL15;

    /// <summary>Makes sure the database can be written: creates the SQLite file's folder (and
    /// the file), turns on write-ahead logging (so the console can read checkpoints while the
    /// coordinator writes them), and checks that what is there is a database.</summary>
    public void PrepareForWriting()
    {
        if (File is { } file && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DatabaseException($"database {file}: cannot create its folder {folder}: {e.Message}", e);
            }
        }
        using var connection = Open(mustExist: false);
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // Akka.Persistence.Sql creates this table on first start (the layout below is the one it
            // creates); made here first so that checkpoint blobs are stored uncompressed: PostgreSQL
            // compresses bytea with pglz by default, which for 100 MB of floats gains little and
            // doubled the save time (measured: about 10 s against 5 s for 109 MiB).
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS snapshot (
                  persistence_id text NOT NULL, sequence_number bigint NOT NULL, created bigint NOT NULL,
                  snapshot bytea, manifest text, serializer_id integer,
                  CONSTRAINT "PK_snapshot" PRIMARY KEY (persistence_id, sequence_number));
                CREATE INDEX IF NOT EXISTS snapshot_created_idx ON snapshot (created);
                CREATE INDEX IF NOT EXISTS snapshot_sequence_number_idx ON snapshot (sequence_number);
                ALTER TABLE snapshot ALTER COLUMN snapshot SET STORAGE EXTERNAL;
                """);
            return;
        }
        // A checkpoint is one blob of tens of megabytes: 64 KiB pages chain 16 times fewer
        // overflow pages than the default 4 KiB (measured: about a quarter faster to write).
        // It takes effect only in a new database, before its first table.
        Execute(connection, "PRAGMA page_size=65536");
        Execute(connection, "PRAGMA journal_mode=WAL");
    }

    /// <summary>Opens the database to read it; for SQLite the file must exist (reading never creates one).</summary>
    public DbConnection OpenForReading() => Open(mustExist: true);

    private DbConnection Open(bool mustExist)
    {
        if (mustExist && File is { } file && !System.IO.File.Exists(file))
            throw new DatabaseException($"no database at {file} (give one with --db FILE or a connection string)");
        DbConnection connection = Provider == DatabaseProvider.Sqlite
            ? new SqliteConnection(mustExist ? new SqliteConnectionStringBuilder(ConnectionString) { Mode = SqliteOpenMode.ReadOnly }.ToString() : ConnectionString)
            : new NpgsqlConnection(ConnectionString);
        try
        {
            connection.Open();
            // SQLite opens anything; the first read finds out whether it is a database.
            if (Provider == DatabaseProvider.Sqlite) Execute(connection, "SELECT count(*) FROM sqlite_master");
            return connection;
        }
        catch (DbException e)
        {
            connection.Dispose();
            throw new DatabaseException($"cannot use the database {Display}: {FirstLine(e.Message)}", e);
        }
    }

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteScalar();
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string Redacted(string value) =>
        string.Join(";", value.Split(';').Select(p => p.TrimStart().StartsWith("Password", StringComparison.OrdinalIgnoreCase) ? "Password=…" : p));
}

using Akka.Actor;
using Microsoft.Data.Sqlite;
using Serilog;

namespace ActorNet.Persistence;

/// <summary>
/// Copies a SQLite database's committed write-ahead log into the database file on a background
/// thread, every <see cref="Interval"/> (default 1 s), for as long as the actor system that writes to it lives.
/// <para>
/// Why: by default the connection whose commit makes the log longer than 1,000 pages copies the
/// whole log into the database file before its commit returns. For a checkpoint of 100 MB that
/// copy is a second write of every byte inside the save, and in the first saves of a run, while
/// the file still grows, the dearest part of it (measured with the checkpoint benchmark, docs/operations.md
/// "Checkpoints and resume"). A checkpoint is durable once its commit is in the log; the copy can
/// come later, as SQLite's documentation suggests for such applications ("wal_autocheckpoint":
/// run checkpoints in a separate thread). So Akka.Persistence.Sql's connections turn automatic
/// checkpoints off (<see cref="Database.ToAkkaSetup"/>) and this copies instead, with
/// <c>PRAGMA wal_checkpoint(PASSIVE)</c>, which never waits for readers or writers.
/// </para>
/// <para>
/// Loaded by Akka (<c>akka.extensions</c> in <see cref="Database.ToAkkaConfig"/>, SQLite only).
/// Without it the log would only be copied when the last connection to the file closes.
/// </para>
/// </summary>
public sealed class WalCheckpoints : IExtension, IDisposable
{
    /// <summary>HOCON path of the database's connection string (set by <see cref="Database.ToAkkaConfig"/>).</summary>
    public const string ConnectionStringPath = "actornet.wal-checkpoints.connection-string";

    /// <summary>HOCON path of the interval (default <see cref="DefaultInterval"/>).</summary>
    public const string IntervalPath = "actornet.wal-checkpoints.interval";

    /// <summary>Longest time between a commit and the copy of its pages into the database file.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private SqliteConnection? _connection;
    private bool _disposed;

    public WalCheckpoints(ExtendedActorSystem system)
    {
        _connectionString = system.Settings.Config.GetString(ConnectionStringPath, "");
        Interval = system.Settings.Config.GetTimeSpan(IntervalPath, DefaultInterval);
        _timer = new Timer(_ => Checkpoint(), null, Interval, Interval);
        system.RegisterOnTermination(Dispose);
    }

    /// <summary>Time between two copies (<see cref="IntervalPath"/>).</summary>
    public TimeSpan Interval { get; }

    /// <summary>The extension of <paramref name="system"/> (loaded by the configuration on SQLite).</summary>
    public static WalCheckpoints Get(ActorSystem system) => system.WithExtension<WalCheckpoints, WalCheckpointsProvider>();

    /// <summary>The sum of the counts of checkpointed log frames that each copy reported (for
    /// tests: SQLite counts since the log last started over, so a frame may be counted twice).</summary>
    public long FramesCopied { get; private set; }

    /// <summary>Copies what the log holds now; returns at once when another copy is running.</summary>
    public void Checkpoint()
    {
        if (_connectionString.Length == 0 || !_gate.TryEnter()) return;
        try
        {
            if (_disposed) return;
            _connection ??= Open();
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)"; // one row: busy, frames in the log, frames copied
            using var reader = command.ExecuteReader();
            if (reader.Read()) FramesCopied += reader.GetInt64(2);
        }
        catch (Exception e)
        {
            // Housekeeping must never take the node down (this runs on a timer thread, where an
            // exception would end the process): the log keeps every commit meanwhile, and the
            // next tick tries again on a new connection.
            Log.Warning("Background WAL checkpoint of {Database} failed: {Message}", new SqliteConnectionStringBuilder(_connectionString).DataSource, e.Message);
            _connection?.Dispose();
            _connection = null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Stops the timer and makes one last copy.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Checkpoint();
        lock (_gate)
        {
            _disposed = true;
            _connection?.Dispose();
            _connection = null;
        }
    }

    private SqliteConnection Open()
    {
        // Never creates the file: the writer made it (Database.PrepareForWriting).
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadWrite }.ToString());
        connection.Open();
        return connection;
    }
}

/// <summary>Akka's handle on <see cref="WalCheckpoints"/>: one per actor system.</summary>
public sealed class WalCheckpointsProvider : ExtensionIdProvider<WalCheckpoints>
{
    public override WalCheckpoints CreateExtension(ExtendedActorSystem system) => new(system);
}

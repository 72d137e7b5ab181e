using Npgsql;

namespace ActorNet.Persistence;

/// <summary>
/// One coordinator per database. Two would both append to the run manager's journal (one of
/// them fails at once on a sequence number the other took, and its API stops answering) and
/// both resume the same unfinished runs. A coordinator holds this lock for its whole life:
/// on SQLite an exclusive lock on a file beside the database (<c>FILE.coordinator.lock</c>), on
/// PostgreSQL an advisory lock of the database on a connection of its own. The kernel or the
/// server lets go of it when the process ends, however it ends (SIGKILL too), so a coordinator
/// started again after a crash is not refused. Other readers and writers (the console, `actornet
/// local`, which journals runs of its own) take no such lock, with one exception: `actornet local
/// --resume` of a run a coordinator accepted holds the lock while it runs, since a coordinator
/// started meanwhile would resume that run too.
/// </summary>
public sealed class CoordinatorLock : IDisposable
{
    // pg_advisory_lock's key: "ActorNet" in ASCII. Advisory locks are per database, so
    // coordinators on two databases of one server do not meet.
    private const long AdvisoryKey = 0x4163746f724e6574;

    private readonly Database? _database;
    private readonly Lock _gate = new();
    private IDisposable? _held; // the lock file's stream, or the PostgreSQL connection whose session holds the lock
    private Timer? _watch;
    private bool _over;         // disposed, or lost to another process

    private CoordinatorLock(IDisposable? held, Database? database = null)
    {
        _held = held;
        _database = database;
    }

    /// <summary>Takes the lock, or throws a <see cref="DatabaseException"/> that says another
    /// coordinator holds it. Call after <see cref="Database.PrepareForWriting"/>.</summary>
    public static CoordinatorLock Acquire(Database database) =>
        TryAcquire(database) ?? throw new DatabaseException(
            $"the database {database.Display} is in use by another coordinator, or by `actornet local --resume` of a coordinator's run " +
            $"(it holds {Describe(database)}); stop that one, or give this one another --db");

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static CoordinatorLock? TryAcquire(Database database) =>
        database.Provider == DatabaseProvider.Sqlite ? OnFile(database) : OnServer(database);

    private static string Describe(Database database) =>
        database.Provider == DatabaseProvider.Sqlite ? LockFile(database) ?? "(none)" : $"advisory lock {AdvisoryKey} there";

    private static string? LockFile(Database database) =>
        database.File is { Length: > 0 } file && file != ":memory:" ? Path.GetFullPath(file) + ".coordinator.lock" : null;

    private static CoordinatorLock? OnFile(Database database)
    {
        if (LockFile(database) is not { } path) return new CoordinatorLock(null);
        try
        {
            // FileShare.None is an exclusive flock on Linux: the kernel drops it with the process.
            // The file stays when the lock goes (deleting it would race with the next coordinator).
            return new CoordinatorLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new DatabaseException($"cannot use the database {database.Display}: cannot create its lock file {path} ({e.Message})", e);
        }
    }

    private static CoordinatorLock? OnServer(Database database) =>
        LockOnServer(database) is { } connection ? new CoordinatorLock(connection, database) : null;

    /// <summary>A new connection whose session holds the advisory lock, or null when another session holds it.</summary>
    private static NpgsqlConnection? LockOnServer(Database database)
    {
        // Not pooled: an advisory lock belongs to the session, and a pooled connection's session
        // lives on, lock and all, after Dispose.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", AdvisoryKey);
            if (command.ExecuteScalar() is true) return connection;
        }
        catch (NpgsqlException e)
        {
            connection.Dispose();
            throw new DatabaseException($"cannot use the database {database.Display}: {e.Message}", e);
        }
        connection.Dispose();
        return null;
    }

    /// <summary>
    /// On PostgreSQL the lock lives as long as its connection's session: a server restart, or an
    /// administrator ending the session, takes it away without a word, and another coordinator
    /// could then start on the database. Every <paramref name="every"/> this checks the session;
    /// when it is gone, it takes the lock again on a new connection (and tells
    /// <paramref name="notice"/>), keeps trying while the server cannot be reached (telling
    /// <paramref name="notice"/> too), and calls <paramref name="lost"/> once, and stops
    /// watching, if another process took the lock meanwhile: this coordinator must then stop.
    /// A SQLite lock file's lock ends only with the process: nothing to watch.
    /// </summary>
    public void Watch(TimeSpan every, Action<string> notice, Action<string> lost)
    {
        if (_database is null) return;
        lock (_gate) _watch = new Timer(_ => Check(notice, lost), null, every, every);
    }

    private void Check(Action<string> notice, Action<string> lost)
    {
        string? lostBecause = null;
        lock (_gate)
        {
            if (_over || _held is not NpgsqlConnection connection) return;
            try
            {
                using var ping = new NpgsqlCommand("SELECT 1", connection);
                ping.ExecuteScalar();
                return; // the session, and with it the lock, is still there
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone: its advisory locks went with it.
            }
            try
            {
                var again = LockOnServer(_database!);
                if (again is not null)
                {
                    connection.Dispose();
                    _held = again;
                    notice($"the connection that held the coordinators' lock on {_database!.Display} was lost; took the lock again");
                    return;
                }
                _over = true;
                _watch?.Dispose();
                lostBecause = $"lost the coordinators' lock on {_database!.Display} (its connection was lost) and another process holds it now; " +
                              "stopping, so that two coordinators do not write the same runs";
            }
            catch (DatabaseException e)
            {
                notice($"the connection that held the coordinators' lock was lost, and the lock cannot be taken again yet ({e.Message}); trying again");
                return;
            }
        }
        lost(lostBecause);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _over = true;
            _watch?.Dispose();
            _held?.Dispose();
        }
    }
}

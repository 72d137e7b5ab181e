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
/// local`, which journals runs of its own) take no such lock; <see cref="IsHeld"/> tells them
/// whether a coordinator is at work. The one exception: `actornet local --resume` of a run a
/// coordinator accepted holds the lock while it runs, since a coordinator started meanwhile
/// would resume that run too.
/// </summary>
public sealed class CoordinatorLock : IDisposable
{
    // pg_advisory_lock's key: "ActorNet" in ASCII. Advisory locks are per database, so
    // coordinators on two databases of one server do not meet.
    private const long AdvisoryKey = 0x4163746f724e6574;

    private readonly IDisposable? _held;

    private CoordinatorLock(IDisposable? held) => _held = held;

    /// <summary>Takes the lock, or throws a <see cref="DatabaseException"/> that says another
    /// coordinator holds it. Call after <see cref="Database.PrepareForWriting"/>.</summary>
    public static CoordinatorLock Acquire(Database database) =>
        TryAcquire(database) ?? throw new DatabaseException(
            $"the database {database.Display} is in use by another coordinator, or by `actornet local --resume` of a coordinator's run " +
            $"(it holds {Describe(database)}); stop that one, or give this one another --db");

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static CoordinatorLock? TryAcquire(Database database) => TryAcquire(database, create: true);

    /// <summary>Whether a coordinator holds the lock of <paramref name="database"/> now, for a
    /// process that is not one: it takes the lock and lets go of it at once, or finds it taken.
    /// Creates no lock file.</summary>
    public static bool IsHeld(Database database)
    {
        using var taken = TryAcquire(database, create: false);
        return taken is null;
    }

    /// <summary>The lock, or null when another process holds it.</summary>
    /// <param name="create">create the SQLite lock file if there is none (else: there is none, so no coordinator holds it)</param>
    private static CoordinatorLock? TryAcquire(Database database, bool create) =>
        database.Provider == DatabaseProvider.Sqlite ? OnFile(database, create) : OnServer(database);

    private static string Describe(Database database) =>
        database.Provider == DatabaseProvider.Sqlite ? LockFile(database) ?? "(none)" : $"advisory lock {AdvisoryKey} there";

    private static string? LockFile(Database database) =>
        database.File is { Length: > 0 } file && file != ":memory:" ? Path.GetFullPath(file) + ".coordinator.lock" : null;

    private static CoordinatorLock? OnFile(Database database, bool create)
    {
        if (LockFile(database) is not { } path) return new CoordinatorLock(null);
        if (!create && !File.Exists(path)) return new CoordinatorLock(null);
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

    private static CoordinatorLock? OnServer(Database database)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        try
        {
            connection.Open();
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", AdvisoryKey);
            if (command.ExecuteScalar() is true) return new CoordinatorLock(connection);
        }
        catch (NpgsqlException e)
        {
            connection.Dispose();
            throw new DatabaseException($"cannot use the database {database.Display}: {e.Message}", e);
        }
        connection.Dispose();
        return null;
    }

    public void Dispose() => _held?.Dispose();
}

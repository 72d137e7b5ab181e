using System.Data.Common;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Formats;

namespace ActorNet.Persistence;

/// <summary>A checkpoint as the journal lists it.</summary>
/// <param name="Step">steps applied when it was taken</param>
/// <param name="Epoch">epochs completed</param>
/// <param name="TestLoss">NaN for a checkpoint taken within an epoch (the test set is evaluated at epoch ends)</param>
public sealed record StoredCheckpoint(Guid RunId, long SequenceNr, long Step, int Epoch, DateTimeOffset At,
    double TrainLoss, double TestLoss, double TestAccuracy);

/// <summary>A run as its journal tells it.</summary>
/// <param name="Checkpoints">those whose snapshot is still stored, oldest first</param>
public sealed record StoredRun(Guid RunId, RunStarted Started, RunSpec Spec, ModelLayout Layout, RunEnded? Ended,
    IReadOnlyList<EpochCompleted> Epochs, IReadOnlyList<StoredCheckpoint> Checkpoints)
{
    /// <summary>running (or interrupted: a coordinator would resume it), completed, cancelled or failed.</summary>
    public string State => Ended?.Outcome switch
    {
        RunEnd.Completed => "completed",
        RunEnd.Cancelled => "cancelled",
        RunEnd.Failed => "failed",
        _ => "running",
    };
}

/// <summary>One checkpoint read back: where it is in the run, and the parameters as double.</summary>
/// <param name="Parameters">per layer, [W (out, in) row-major | b (out)]</param>
public sealed record LoadedCheckpoint(StoredRun Run, StoredCheckpoint Info, double[][] Parameters);

/// <summary>No such run or checkpoint in the database; the message says what was looked for and what there is.</summary>
public sealed class CheckpointNotFoundException(string message) : Exception(message);

/// <summary>
/// Reads runs and checkpoints straight from the database that Akka.Persistence.Sql writes (its
/// default table layout: <c>journal</c> and <c>snapshot</c>), with no actor system and no cluster;
/// never writes. Payloads are decoded as <see cref="StoredSerializer"/> reads them, in every stored
/// format version, the wire format of older databases included.
/// </summary>
public sealed class CheckpointStore(Database database)
{
    private const string RunPrefix = "run-";

    /// <summary>The persistence id of a coordinator's run manager, whose journal lists the runs
    /// submitted to the coordinators of this database (<see cref="RunAdmitted"/>).</summary>
    public const string CoordinatorRunsId = "runs";

    /// <summary>The persistence id of a run's journal and checkpoints.</summary>
    public static string RunPersistenceId(Guid runId) => $"{RunPrefix}{runId}";

    /// <summary>Every run in the database, newest first.</summary>
    public IReadOnlyList<StoredRun> Runs()
    {
        using var connection = database.OpenForReading();
        return HasTables(connection) ? Read(connection, persistenceId: null) : [];
    }

    /// <summary>The runs of one persistence id, or of all runs' (null), read from the journal and the snapshot table.</summary>
    private IReadOnlyList<StoredRun> Read(DbConnection connection, string? persistenceId)
    {
        var which = persistenceId is null ? $"persistence_id LIKE '{RunPrefix}%'" : "persistence_id = @id";
        var stored = new HashSet<(string, long)>();
        using (var command = Command(connection, $"SELECT persistence_id, sequence_number FROM snapshot WHERE {which}", persistenceId))
        {
            using var reader = command.ExecuteReader();
            while (reader.Read()) stored.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        var events = new Dictionary<string, List<(long Seq, object Event)>>();
        foreach (var (id, seq, e) in Events(connection, which, persistenceId))
        {
            if (!events.TryGetValue(id, out var list)) events[id] = list = [];
            list.Add((seq, e));
        }
        return events.Select(kv => Build(kv.Key, kv.Value, stored)).OfType<StoredRun>()
            .OrderByDescending(r => r.Started.AtUnixMs).ToArray();
    }

    /// <summary>The journal's events WHERE <paramref name="which"/>, decoded, in persistence id and sequence order.</summary>
    private static IEnumerable<(string PersistenceId, long Seq, object Event)> Events(DbConnection connection, string which, string? persistenceId)
    {
        using var command = Command(connection, "SELECT persistence_id, sequence_number, message, manifest, identifier FROM journal " +
                                                $"WHERE {which} ORDER BY persistence_id, sequence_number", persistenceId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            yield return (id, reader.GetInt64(1), Decode((byte[])reader[2], reader.GetString(3), Convert.ToInt32(reader[4]), $"the journal of {id} at sequence number {reader.GetInt64(1)}"));
        }
    }

    /// <summary>The run whose id is, or starts with, <paramref name="id"/> (at least 4 characters).
    /// Only that run's journal is read.</summary>
    public StoredRun Run(string id)
    {
        using var connection = database.OpenForReading();
        var runs = HasTables(connection) ? RunIds(connection) : [];
        var text = id.Trim().ToLowerInvariant();
        var matches = Guid.TryParse(text, out var guid)
            ? runs.Where(r => r == guid).ToArray()
            : text.Length >= 4 ? runs.Where(r => r.ToString().StartsWith(text, StringComparison.Ordinal) || r.ToString("N").StartsWith(text, StringComparison.Ordinal)).ToArray() : [];
        return matches.Length switch
        {
            1 => Read(connection, RunPersistenceId(matches[0])).SingleOrDefault()
                 ?? throw new DatabaseException($"run {matches[0]} in {database.Display}: its journal does not begin with the run's start"),
            0 => throw new CheckpointNotFoundException($"no run '{id}' in {database.Display} ({(runs.Count == 0 ? "it holds no runs" : $"it holds {runs.Count}: see 'actornet checkpoints list'")})"),
            _ => throw new CheckpointNotFoundException($"'{id}' matches {matches.Length} runs in {database.Display}: give more of the id"),
        };
    }

    /// <summary>Whether run <paramref name="runId"/> was submitted to a coordinator of this database
    /// (a coordinator resumes such a run itself when it starts).</summary>
    public bool AdmittedByCoordinator(Guid runId)
    {
        using var connection = database.OpenForReading();
        return HasTables(connection)
            && Events(connection, "persistence_id = @id", CoordinatorRunsId).Any(e => e.Event is RunAdmitted a && a.RunId == runId);
    }

    /// <summary>The checkpoint of <paramref name="run"/> after <paramref name="step"/> steps, or its latest.</summary>
    public LoadedCheckpoint Load(StoredRun run, long? step = null)
    {
        if (run.Checkpoints.Count == 0) throw new CheckpointNotFoundException($"run {run.RunId} has no checkpoint in {database.Display}");
        var info = step is { } s
            ? run.Checkpoints.LastOrDefault(c => c.Step == s)
              ?? throw new CheckpointNotFoundException($"run {run.RunId} has no checkpoint at step {s} (it has: {string.Join(", ", run.Checkpoints.Select(c => c.Step))})")
            : run.Checkpoints[^1];
        using var connection = database.OpenForReading();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT snapshot, manifest, serializer_id FROM snapshot WHERE persistence_id = @id AND sequence_number = @seq";
        AddParameter(command, "@id", RunPersistenceId(run.RunId));
        AddParameter(command, "@seq", info.SequenceNr);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) throw new CheckpointNotFoundException($"the checkpoint of run {run.RunId} at step {info.Step} was deleted meanwhile");
        var where = $"run {run.RunId} checkpoint at step {info.Step} (the snapshot of {RunPersistenceId(run.RunId)} at sequence number {info.SequenceNr})";
        var parameters = Decode((byte[])reader[0], reader.GetString(1), Convert.ToInt32(reader[2]), where) switch
        {
            Checkpoint<float> c => c.Parameters.Select(p => p.Select(v => (double)v).ToArray()).ToArray(),
            Checkpoint<double> c => c.Parameters,
            var other => throw new DatabaseException($"{where}: holds a {other.GetType().Name}, not a checkpoint"),
        };
        for (var l = 0; l < run.Layout.Layers.Count; l++)
            if (l >= parameters.Length || parameters[l].Length != run.Layout.Layers[l].ParameterCount)
                throw new DatabaseException($"{where}: layer {l} does not fit the run's spec ({run.Layout.Layers[l].Inputs}→{run.Layout.Layers[l].Outputs})");
        return new LoadedCheckpoint(run, info, parameters);
    }

    private StoredRun? Build(string persistenceId, List<(long Seq, object Event)> events, HashSet<(string, long)> stored)
    {
        if (events.Count == 0 || events[0].Event is not RunStarted started) return null; // not a run journal we know
        var spec = RunSpecReader.Parse(started.SpecJson, $"{persistenceId} spec", "run");
        var layout = ModelLayout.From(spec, started.Inputs);
        var checkpoints = events.Where(e => e.Event is CheckpointTaken && stored.Contains((persistenceId, e.Seq)))
            .Select(e => (e.Seq, Taken: (CheckpointTaken)e.Event))
            .Select(x => new StoredCheckpoint(x.Taken.RunId, x.Seq, x.Taken.Step, x.Taken.Epoch, DateTimeOffset.FromUnixTimeMilliseconds(x.Taken.AtUnixMs),
                x.Taken.TrainLoss, x.Taken.TestLoss, x.Taken.TestAccuracy))
            .ToArray();
        // A resumed run journals the epochs it did again: the latest report of each epoch stands.
        var epochs = events.Select(e => e.Event).OfType<EpochCompleted>().GroupBy(e => e.Epoch).Select(g => g.Last()).OrderBy(e => e.Epoch).ToArray();
        // The run's end is its last event; a cancelled run that was resumed has events after its RunEnded.
        var ended = events[^1].Event as RunEnded;
        return new StoredRun(started.RunId, started, spec, layout, ended, epochs, checkpoints);
    }

    /// <summary>The ids of the runs in the journal (the distinct persistence ids, not their events).</summary>
    private static IReadOnlyList<Guid> RunIds(DbConnection connection)
    {
        using var command = Command(connection, $"SELECT DISTINCT persistence_id FROM journal WHERE persistence_id LIKE '{RunPrefix}%'", persistenceId: null);
        using var reader = command.ExecuteReader();
        var ids = new List<Guid>();
        while (reader.Read())
            if (Guid.TryParse(reader.GetString(0).AsSpan(RunPrefix.Length), out var g)) ids.Add(g);
        return ids;
    }

    private static DbCommand Command(DbConnection connection, string sql, string? persistenceId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        if (persistenceId is not null) AddParameter(command, "@id", persistenceId);
        return command;
    }

    /// <summary>A database no run was ever written to has no tables yet: it holds no runs.</summary>
    private static bool HasTables(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = connection is Microsoft.Data.Sqlite.SqliteConnection
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('journal', 'snapshot')"
            : "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('journal', 'snapshot') AND table_schema = current_schema()";
        return Convert.ToInt64(command.ExecuteScalar()) == 2;
    }

    /// <summary>A stored record in any of its formats (<see cref="StoredFormats"/>: the wire format
    /// of databases written before the stored formats, or a schema version of them); a record
    /// that cannot be read names where it lies.</summary>
    private static object Decode(byte[] payload, string manifest, int serializerId, string where)
    {
        try
        {
            return StoredFormats.Decode(payload, serializerId, manifest);
        }
        catch (System.Runtime.Serialization.SerializationException e)
        {
            throw new DatabaseException($"{where} cannot be read: {e.Message}", e);
        }
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

using System.Data.Common;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Snapshot;

namespace ActorNet.Persistence;

// Akka.Persistence.Sql's journal and snapshot store, as they are, except that a record they cannot
// read (a schema version this build does not know, corrupt bytes) is reported with where it lies.
// The serializer that refuses it knows the record's kind and version but not its place; the
// plugin knows the persistence id, and one query on this rare path finds the sequence number.
// Without them a run that cannot recover said only "'run.ended' schema version 9 is not one this
// build reads", with no word of which run's journal or which record.

/// <summary>The journal <see cref="Database.ToAkkaConfig"/> configures: Akka.Persistence.Sql's, naming the event it cannot read.</summary>
public sealed class StoredJournal(Config config) : SqlWriteJournal(config)
{
    private readonly Database _database = Database.Parse(config.GetString("connection-string"));

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var last = fromSequenceNr - 1; // events are replayed in order: the one refused comes after the last one handed on
        try
        {
            await base.ReplayMessagesAsync(context, persistenceId, fromSequenceNr, toSequenceNr, max, replayed =>
            {
                last = replayed.SequenceNr;
                recoveryCallback(replayed);
            });
        }
        catch (SerializationException e)
        {
            var next = StoredPlace.Find(_database, "SELECT min(sequence_number) FROM journal WHERE persistence_id = @id AND sequence_number > @seq", persistenceId, last);
            var where = next is { } seq ? $"at sequence number {seq}" : $"after sequence number {last}";
            throw new SerializationException($"the journal of {persistenceId} {where} cannot be read: {e.Message}", e);
        }
    }
}

/// <summary>The snapshot store <see cref="Database.ToAkkaConfig"/> configures: Akka.Persistence.Sql's, naming the checkpoint it cannot read.</summary>
public sealed class StoredSnapshotStore(Config config) : SqlSnapshotStore(config)
{
    private readonly Database _database = Database.Parse(config.GetString("connection-string"));

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.LoadAsync(persistenceId, criteria, cancellationToken);
        }
        catch (SerializationException e)
        {
            // The store loads the latest snapshot the criteria allow (ActorNet asks for the latest).
            var latest = StoredPlace.Find(_database, "SELECT max(sequence_number) FROM snapshot WHERE persistence_id = @id AND sequence_number <= @seq",
                persistenceId, criteria.MaxSequenceNr);
            var where = latest is { } seq ? $"at sequence number {seq}" : $"up to sequence number {criteria.MaxSequenceNr}";
            throw new SerializationException($"the snapshot (checkpoint) of {persistenceId} {where} cannot be read: {e.Message}", e);
        }
    }
}

internal static class StoredPlace
{
    /// <summary>The sequence number <paramref name="sql"/> finds, or null when the database cannot say (it is only for a message).</summary>
    public static long? Find(Database database, string sql, string persistenceId, long sequenceNr)
    {
        try
        {
            using var connection = database.OpenForReading();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            Add(command, "@id", persistenceId);
            Add(command, "@seq", sequenceNr);
            return command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (Exception e) when (e is DbException or DatabaseException)
        {
            return null;
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

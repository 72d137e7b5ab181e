using ActorNet.Persistence;
using ActorNet.Protocol;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorNet.Tests.Formats;

/// <summary>
/// tests/Fixtures/stored-v1.db, written before stored records had schema versions (every record
/// in the wire format, version 1), read by today's <see cref="CheckpointStore"/>; and a record
/// of a schema version this build does not know, refused naming kind, version and where it lies.
/// </summary>
public sealed class StoredV1DatabaseTests : IDisposable
{
    private static readonly Guid Stopped = Guid.Parse("5eed0001-0000-4000-8000-00000000000a");
    private static readonly Guid Float64 = Guid.Parse("5eed0001-0000-4000-8000-00000000000b");
    private static readonly Guid Lost = Guid.Parse("5eed0001-0000-4000-8000-00000000000c");
    private const long T0 = 1_780_000_000_000;

    private readonly TempDirectory _folder = new();
    private readonly Database _database;

    public StoredV1DatabaseTests()
    {
        // A copy: a test never changes the fixture.
        var file = _folder.File("stored-v1.db");
        File.Copy(RepoFiles.PathOf("tests", "Fixtures", "stored-v1.db"), file);
        _database = Database.Parse(file);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public void Every_run_of_the_version_1_database_is_listed_with_its_state_epochs_and_checkpoints()
    {
        var runs = new CheckpointStore(_database).Runs().ToDictionary(r => r.RunId);
        Assert.Equal(3, runs.Count);
        var stopped = runs[Stopped];
        Assert.Equal(("stored-v1", "cancelled", 1013L), (stopped.Spec.Name, stopped.State, stopped.Ended!.Step));
        Assert.Equal([938L, 1000L, 1013L], stopped.Checkpoints.Select(c => c.Step));
        Assert.Equal(1, Assert.Single(stopped.Epochs).Epoch);
        Assert.Equal(("completed", 10L), (runs[Float64].State, runs[Float64].Ended!.Step));
        Assert.Equal("failed", runs[Lost].State);
    }

    [Fact]
    public void The_events_a_local_run_does_not_write_read_back_with_their_values()
    {
        var run = new CheckpointStore(_database).Run(Lost.ToString());
        var started = run.Started;
        Assert.Equal(("/data/here", 2, 2, T0), (started.BaseDirectory, started.MinWorkers, started.Inputs, started.AtUnixMs));
        Assert.Equal(["outer", "inner"], started.ClassNames);
        Assert.Equal([0.5, -0.25], started.ScaleOffsets);
        Assert.Equal([2.0, 0.0], started.ScaleDivisors);
        Assert.Equal("stored-v1-lost", run.Spec.Name);
        Assert.Equal(new EpochCompleted(Lost, 1, 0.61, 0.7, 0.58, 0.72, 12345.5), Assert.Single(run.Epochs));
        Assert.Equal(new RunEnded(Lost, RunEnd.Failed, 940, "the loss is NaN at step 940 (layer 1, the output layer, part 0)", T0 + 1000), run.Ended);
        Assert.Empty(run.Checkpoints); // its CheckpointTaken has no snapshot
        Assert.True(new CheckpointStore(_database).AdmittedByCoordinator(Lost));  // the coordinator's journal, "runs"
        Assert.False(new CheckpointStore(_database).AdmittedByCoordinator(Stopped));
    }

    [Fact]
    public void Checkpoints_of_both_precisions_load()
    {
        var store = new CheckpointStore(_database);
        var f32 = store.Load(store.Run(Stopped.ToString()));
        Assert.Equal(1013, f32.Info.Step);
        Assert.Equal([2 * 4 + 4, 4 * 2 + 2], f32.Parameters.Select(p => p.Length));
        Assert.All(f32.Parameters.SelectMany(p => p), v => Assert.True(double.IsFinite(v)));
        var earlier = store.Load(store.Run(Stopped.ToString()), step: 938);
        Assert.NotEqual(earlier.Parameters[0], f32.Parameters[0]);
        var f64 = store.Load(store.Run(Float64.ToString()));
        Assert.Equal(10, f64.Info.Step);
        Assert.Equal([2 * 3 + 3, 3 * 2 + 2], f64.Parameters.Select(p => p.Length));
    }

    [Fact]
    public void An_event_of_an_unknown_schema_version_is_refused_naming_kind_version_and_where()
    {
        Rewrite("UPDATE journal SET manifest = 'run.checkpoint/v9', identifier = 4243 WHERE persistence_id = @id AND manifest = 'run.checkpoint'",
            $"run-{Lost}");
        var e = Assert.Throws<DatabaseException>(() => new CheckpointStore(_database).Run(Lost.ToString()));
        Assert.Equal($"the journal of run-{Lost} at sequence number 6 cannot be read: ActorNet stored record: 'run.checkpoint' schema version 9 is not one this build reads " +
                     "(it reads versions 1 to 2; was it written by a newer ActorNet?).", e.Message);
    }

    [Fact]
    public void A_checkpoint_of_an_unknown_schema_version_is_refused_naming_kind_version_and_where()
    {
        Rewrite("UPDATE snapshot SET manifest = 'checkpoint.f32/v7', serializer_id = 4243 WHERE persistence_id = @id AND sequence_number = 16", $"run-{Stopped}");
        var store = new CheckpointStore(_database);
        var e = Assert.Throws<DatabaseException>(() => store.Load(store.Run(Stopped.ToString())));
        Assert.Equal($"run {Stopped} checkpoint at step 1013 (the snapshot of run-{Stopped} at sequence number 16) cannot be read: " +
                     "ActorNet stored record: 'checkpoint.f32' schema version 7 is not one this build reads (it reads versions 1 to 2; was it written by a newer ActorNet?).",
            e.Message);
    }

    private void Rewrite(string sql, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={_database.File}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@id", persistenceId);
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}

using System.Data.Common;
using ActorNet.Actors;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>
/// A stored record of a schema version this build does not know (as a newer ActorNet would
/// write it) stops the run's recovery, and the run fails with a message that names the record's
/// kind, its version, and where it lies (persistence id, sequence number); nothing is written,
/// so the run waits, as it was, for a build that reads it.
/// </summary>
public sealed class UnknownSchemaVersionTests
{
    private static readonly RunSpec Spec = RunSpecReader.Parse("""
        {
          "name": "future", "seed": 11,
          "data": { "builtin": "circles", "samples": 20000, "testFraction": 0.25 },
          "layers": [ { "size": 4, "activation": "tanh" }, { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy",
          "optimizer": { "kind": "adam", "learningRate": 0.03 },
          "batchSize": 16, "epochs": 2,
          "checkpoint": { "everySteps": 50, "keep": 2 }
        }
        """);

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_event_of_an_unknown_schema_version_fails_the_resume_naming_kind_version_and_where(string provider)
    {
        using var db = TestDatabase.Create(provider);
        var id = await StoppedRun(db.Database);
        var seq = Scalar(db.Database, "SELECT sequence_number FROM journal WHERE persistence_id = @id AND manifest = 'run.ended/v2'", id);
        Assert.Equal(1, Execute(db.Database, "UPDATE journal SET manifest = 'run.ended/v9' WHERE persistence_id = @id AND manifest = 'run.ended/v2'", id));

        var reason = await FailedResume(db.Database, id);

        Assert.Equal($"cannot recover the run from the database: the journal of run-{id} at sequence number {seq} cannot be read: " +
                     "ActorNet stored record: 'run.ended' schema version 9 is not one this build reads (it reads versions 1 to 2; was it written by a newer ActorNet?).",
            reason);
        Assert.Equal(seq, Scalar(db.Database, "SELECT max(sequence_number) FROM journal WHERE persistence_id = @id", id));  // nothing written after it
    }

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_checkpoint_of_an_unknown_schema_version_fails_the_resume_naming_kind_version_and_where(string provider)
    {
        using var db = TestDatabase.Create(provider);
        var id = await StoppedRun(db.Database);
        var seq = Scalar(db.Database, "SELECT max(sequence_number) FROM snapshot WHERE persistence_id = @id", id);
        Assert.Equal(1, Execute(db.Database, $"UPDATE snapshot SET manifest = 'checkpoint.f32/v7' WHERE persistence_id = @id AND sequence_number = {seq}", id));
        var events = Scalar(db.Database, "SELECT max(sequence_number) FROM journal WHERE persistence_id = @id", id);

        var reason = await FailedResume(db.Database, id);

        Assert.Equal($"cannot recover the run from the database: the snapshot (checkpoint) of run-{id} at sequence number {seq} cannot be read: " +
                     "ActorNet stored record: 'checkpoint.f32' schema version 7 is not one this build reads (it reads versions 1 to 2; was it written by a newer ActorNet?).",
            reason);
        Assert.Equal(events, Scalar(db.Database, "SELECT max(sequence_number) FROM journal WHERE persistence_id = @id", id));
    }

    /// <summary>A process as <c>actornet local</c> runs it, journaling to <paramref name="db"/>.</summary>
    private static Task<NodeHost> Node(Database db) => NodeHost.StartAsync(NodeRole.InProcess("test", journals: true),
        new Dictionary<string, string?> { ["ActorNet:Db"] = db.ConnectionString, ["ActorNet:LogFile"] = "", ["ActorNet:LogLevel"] = "Warning" });

    /// <summary>A run stopped (cancelled) after a few steps, with a checkpoint of where it stopped.</summary>
    private static async Task<Guid> StoppedRun(Database db)
    {
        db.PrepareForWriting();
        var id = Guid.NewGuid();
        await using var node = await Node(db);
        var run = LocalTraining.Start(node.System, Spec, storage: RunStorage.Sql, runId: id);
        var stopped = await run.WaitAsync(e => { if (e is StepCompleted { Step: 9 }) run.Stop(); });
        Assert.Equal(RunOutcome.Cancelled, stopped.Outcome);
        return id;
    }

    private static async Task<string> FailedResume(Database db, Guid id)
    {
        await using var node = await Node(db);
        var failure = await Assert.ThrowsAsync<RunFailedException>(() => LocalTraining.Start(node.System, Spec, storage: RunStorage.Sql, runId: id).WaitAsync());
        return failure.Failure.Reason;
    }

    private static long Scalar(Database db, string sql, Guid id) => Convert.ToInt64(Run(db, sql, id, c => c.ExecuteScalar()));

    private static int Execute(Database db, string sql, Guid id) => (int)Run(db, sql, id, c => c.ExecuteNonQuery())!;

    private static object? Run(Database db, string sql, Guid id, Func<DbCommand, object?> execute)
    {
        using DbConnection connection = db.Provider == DatabaseProvider.Sqlite ? new SqliteConnection(db.ConnectionString) : new NpgsqlConnection(db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var p = command.CreateParameter();
        p.ParameterName = "@id";
        p.Value = CheckpointStore.RunPersistenceId(id);
        command.Parameters.Add(p);
        return execute(command);
    }
}

using ActorNet.Actors;
using ActorNet.Formats;
using ActorNet.Hosting;
using ActorNet.Model;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Serialization;
using ActorNet.Training;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>
/// A run stored before stored records had schema versions (tests/Fixtures/stored-v1.db: journal
/// and checkpoints in the wire format, version 1) continues, as <c>actornet local --resume</c>
/// continues it, to the very weights of the same spec run uninterrupted; what it writes from then
/// on is in the newest stored format.
/// </summary>
public sealed class StoredFormatResumeTests : IDisposable
{
    private static readonly Guid Stopped = Guid.Parse("5eed0001-0000-4000-8000-00000000000a");

    private readonly TempDirectory _folder = new();
    private readonly Database _database;

    public StoredFormatResumeTests()
    {
        var file = _folder.File("stored-v1.db");
        File.Copy(RepoFiles.PathOf("tests", "Fixtures", "stored-v1.db"), file);
        _database = Database.Parse(file);
        _database.PrepareForWriting();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    /// <summary>A process as <c>actornet local</c> runs it, journaling to the fixture's copy.</summary>
    private Task<NodeHost> Node() => NodeHost.StartAsync(NodeRole.InProcess("test", journals: true),
        new Dictionary<string, string?> { ["ActorNet:Db"] = _database.ConnectionString, ["ActorNet:LogFile"] = "", ["ActorNet:LogLevel"] = "Warning" });

    [Fact]
    public async Task A_run_stored_in_the_version_1_format_resumes_and_ends_with_the_weights_of_an_uninterrupted_run()
    {
        var stored = new CheckpointStore(_database).Run(Stopped.ToString());
        Assert.Equal(("cancelled", 1013L), (stored.State, stored.Checkpoints[^1].Step));
        var spec = stored.Spec;  // its own spec, as local --resume takes it

        RunCompleted reference;
        await using (var node = await Node())
            reference = await LocalTraining.Start(node.System, spec, workers: 2).WaitAsync();

        var steps = new List<StepCompleted>();
        RunCompleted resumed;
        await using (var node = await Node())
            resumed = await LocalTraining.Start(node.System, spec, workers: 2, storage: RunStorage.Sql, runId: Stopped)
                .WaitAsync(e => { if (e is StepCompleted s) steps.Add(s); });

        Assert.Equal(1013, steps[0].Step);  // it goes on with the step after its last (version 1) checkpoint
        Assert.Equal((RunOutcome.Completed, reference.Steps), (resumed.Outcome, resumed.Steps));
        for (var l = 0; l < reference.Parameters.Length; l++)
            Assert.Equal(reference.Parameters[l], resumed.Parameters[l]);  // bit for bit
        Assert.Equal(reference.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy)),
            resumed.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TestLoss, e.TestAccuracy)));

        // The journal now holds both formats: the old records as they were, the new ones in the stored format.
        var writers = Serializers($"run-{Stopped}");
        Assert.All(writers.Where(w => w.Seq <= 17), w => Assert.Equal((ActorNetSerializer.Id, false), (w.Id, w.Manifest.Contains('/'))));
        Assert.All(writers.Where(w => w.Seq > 17), w => Assert.Equal((StoredSerializer.Id, true), (w.Id, w.Manifest.EndsWith("/v2", StringComparison.Ordinal))));
        Assert.Contains(writers, w => w.Manifest == "checkpoint.f32/v2");
        var after = new CheckpointStore(_database).Run(Stopped.ToString());
        Assert.Equal("completed", after.State);
        Assert.Equal([1, 2], after.Epochs.Select(e => e.Epoch));
        var last = new CheckpointStore(_database).Load(after);
        for (var l = 0; l < reference.Parameters.Length; l++) Assert.Equal(reference.Parameters[l], last.Parameters[l]);
    }

    private List<(long Seq, int Id, string Manifest)> Serializers(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={_database.File}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number, identifier, manifest FROM journal WHERE persistence_id = @id " +
                              "UNION ALL SELECT sequence_number, serializer_id, manifest FROM snapshot WHERE persistence_id = @id ORDER BY 1";
        command.Parameters.AddWithValue("@id", persistenceId);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, int, string)>();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2)));
        return rows;
    }
}

using ActorNet.Persistence;
using ActorNet.Serialization;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>On SQLite a save returns once it is in the write-ahead log; the log is copied into
/// the database file in the background (<see cref="WalCheckpoints"/>), and all of it by the time
/// the actor system has stopped, so the file alone then holds every checkpoint.</summary>
public sealed class WalCheckpointsTests
{
    [Fact]
    public async Task A_save_stays_in_the_log_until_the_background_copy_and_the_file_alone_holds_it_after_the_system_stops()
    {
        using var db = TestDatabase.Sqlite();
        db.Database.PrepareForWriting();
        var payload = new byte[8 << 20]; // 128 of the database's 64 KiB pages
        new Random(5).NextBytes(payload);

        // The interval is out of the way: this test makes the copies itself.
        var config = ConfigurationFactory.ParseString($"{WalCheckpoints.IntervalPath} = 1h")
            .WithFallback(db.Database.ToAkkaConfig())
            .WithFallback(ActorNetSerializer.Configuration);
        var system = ActorSystem.Create("wal-" + Guid.NewGuid().ToString("N")[..8],
            BootstrapSetup.Create().WithConfig(config).And(db.Database.ToAkkaSetup()));
        try
        {
            Assert.True(system.HasExtension<WalCheckpoints>(), "the configuration loads the background copy");
            var saver = system.ActorOf(Props.Create(() => new Saver()));
            for (var i = 0; i < 20; i++) // 160 MiB in all: SQLite's automatic checkpoint (1,000 pages, 62.5 MiB) would have copied it
                Assert.True(await saver.Ask<bool>(payload, TimeSpan.FromSeconds(60)));

            Assert.Equal(0, StoredSnapshots(CopyOfFileAlone(db.Database.File!))); // all of it still in the log
            WalCheckpoints.Get(system).Checkpoint();
            Assert.True(WalCheckpoints.Get(system).FramesCopied >= 20 * 128, $"copied {WalCheckpoints.Get(system).FramesCopied}");
            Assert.Equal(20, StoredSnapshots(CopyOfFileAlone(db.Database.File!)));

            Assert.True(await saver.Ask<bool>(payload, TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await system.Terminate();
        }
        Assert.Equal(21, StoredSnapshots(CopyOfFileAlone(db.Database.File!))); // the last copy, at termination
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public void Persistence_connections_wait_for_a_busy_database_in_SQLite_and_leave_log_copies_to_the_background()
    {
        using var db = TestDatabase.Sqlite();
        db.Database.PrepareForWriting();
        // A connection as Akka.Persistence.Sql opens it, with the options of the setup the actor systems get.
        using var connection = new DataConnection(db.Database.ToDataOptions());
        Assert.Equal(30_000, connection.Execute<long>("PRAGMA busy_timeout")); // not Microsoft.Data.Sqlite's 150 ms sleeps
        Assert.Equal(0, connection.Execute<long>("PRAGMA wal_autocheckpoint"));
    }

    [Fact]
    public async Task A_copy_that_fails_is_logged_and_tried_again_never_thrown()
    {
        // A database that cannot be opened (its folder is gone): the node must keep running.
        var missing = Path.Combine(Path.GetTempPath(), "actornet-missing-" + Guid.NewGuid().ToString("N"), "actornet.db");
        var config = ConfigurationFactory.ParseString($"{WalCheckpoints.IntervalPath} = 1h").WithFallback(Database.Parse(missing).ToAkkaConfig());
        var system = ActorSystem.Create("wal-missing-" + Guid.NewGuid().ToString("N")[..8], config);
        try
        {
            var checkpoints = WalCheckpoints.Get(system);
            checkpoints.Checkpoint();
            checkpoints.Checkpoint();
            Assert.Equal(0, checkpoints.FramesCopied);
            Assert.False(File.Exists(missing)); // never created
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The database file without its log, as someone copying only that file gets it.</summary>
    private static string CopyOfFileAlone(string file)
    {
        var copy = file + ".alone-" + Guid.NewGuid().ToString("N")[..8];
        File.Copy(file, copy);
        return copy;
    }

    private static long StoredSnapshots(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'snapshot'";
        if ((long)command.ExecuteScalar()! == 0) return 0;
        command.CommandText = "SELECT count(*) FROM snapshot";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Journals an event and saves each byte array it is sent as a snapshot; answers whether the store took it.</summary>
    private sealed class Saver : ReceivePersistentActor
    {
        private IActorRef? _asker;

        public Saver()
        {
            Command<byte[]>(bytes =>
            {
                _asker = Sender;
                Persist("saved", _ => SaveSnapshot(bytes)); // an event first, so that each snapshot has a sequence number of its own
            });
            Command<SaveSnapshotSuccess>(_ => _asker!.Tell(true));
            Command<SaveSnapshotFailure>(_ => _asker!.Tell(false));
        }

        public override string PersistenceId => "wal-checkpoints-test";
    }
}

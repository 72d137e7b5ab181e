using System.Collections.Concurrent;
using ActorNet.Persistence;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>One coordinator per database: the lock refuses a second holder while the first
/// lives, and on PostgreSQL it is watched, because it goes with its connection's session.</summary>
public sealed class CoordinatorLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [SkippableTheory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_second_holder_is_refused_until_the_first_lets_go(string provider)
    {
        using var db = TestDatabase.Create(provider);
        db.Database.PrepareForWriting();

        using (CoordinatorLock.Acquire(db.Database))
        {
            Assert.Null(CoordinatorLock.TryAcquire(db.Database));
            var refused = Assert.Throws<DatabaseException>(() => CoordinatorLock.Acquire(db.Database));
            Assert.StartsWith($"the database {db.Database.Display} is in use by another coordinator", refused.Message, StringComparison.Ordinal);
        }

        using var next = CoordinatorLock.TryAcquire(db.Database);
        Assert.NotNull(next);
    }

    [SkippableFact]
    public async Task On_PostgreSQL_a_lock_whose_session_was_ended_is_taken_again()
    {
        using var db = TestDatabase.Postgres();
        using var held = CoordinatorLock.Acquire(db.Database);
        var notices = new ConcurrentQueue<string>();
        var lost = new ConcurrentQueue<string>();
        held.Watch(TimeSpan.FromMilliseconds(200), notices.Enqueue, lost.Enqueue);

        Assert.Equal(1, db.EndAdvisoryLockSessions());
        await WaitUntil(() => !notices.IsEmpty, "a notice that the lock was taken again");

        Assert.Equal($"the connection that held the coordinators' lock on {db.Database.Display} was lost; took the lock again", Assert.Single(notices));
        Assert.Empty(lost);
        Assert.Null(CoordinatorLock.TryAcquire(db.Database));
    }

    [SkippableFact]
    public async Task On_PostgreSQL_a_holder_whose_lock_another_process_took_after_its_session_ended_is_told_once()
    {
        using var db = TestDatabase.Postgres();
        using var held = CoordinatorLock.Acquire(db.Database);
        var notices = new ConcurrentQueue<string>();
        var lost = new ConcurrentQueue<string>();
        held.Watch(TimeSpan.FromSeconds(2), notices.Enqueue, lost.Enqueue);

        Assert.Equal(1, db.EndAdvisoryLockSessions());
        using var other = CoordinatorLock.TryAcquire(db.Database); // before the watch looks again
        Assert.NotNull(other);
        await WaitUntil(() => !lost.IsEmpty, "the holder told that its lock is lost");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a check or two more: still told only once

        Assert.Equal($"lost the coordinators' lock on {db.Database.Display} (its connection was lost) and another process holds it now; " +
                     "stopping, so that two coordinators do not write the same runs", Assert.Single(lost));
        Assert.Empty(notices);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {Patience} for {what}");
            await Task.Delay(50);
        }
    }
}

using ActorNet.Coordinator.Runs;
using ActorNet.Protocol;
using Xunit;

namespace ActorNet.Coordinator.Tests;

public sealed class RunBookTests
{
    [Fact]
    public void A_run_goes_from_waiting_to_running_to_completed_with_its_latest_metrics()
    {
        var book = new RunBook();
        var id = Guid.NewGuid();
        book.Submitted(id, "circles", 40, DateTimeOffset.UnixEpoch);
        Assert.Equal("waiting", book.Get(id)!.State);

        book.Apply(new StepCompleted(id, 0, 1, 1, 24, 32, 0.7, 20, 2));
        book.Apply(new WorkerLeftOut(id, "akka.tcp://actornet@w3:1/user/worker", "this worker's training data differ"));
        book.Apply(new EpochCompleted(id, 1, 0.6, 0.7, 0.5, 0.8, 1000));
        var s = book.Get(id)!;
        Assert.Equal(("running", 1, 1L, 2, 0.8), (s.State, s.Epoch, s.Step, s.Workers, s.TestAccuracy!.Value));
        Assert.Contains("worker akka.tcp://actornet@w3:1/user/worker left out: this worker's training data differ", s.Events);

        book.Apply(new RunCompleted(id, RunOutcome.Completed, 960, [], []));
        Assert.Equal("completed", book.Get(id)!.State);
        Assert.False(book.IsActive(id));
    }

    [Fact]
    public void A_failed_run_keeps_the_reason()
    {
        var book = new RunBook();
        var id = Guid.NewGuid();
        book.Submitted(id, "x", 1, DateTimeOffset.UnixEpoch);
        book.Apply(new RunFailed(id, 7, "layer 1: weight [0, 3] is NaN after step 7"));
        Assert.Equal(("failed", "layer 1: weight [0, 3] is NaN after step 7"), (book.Get(id)!.State, book.Get(id)!.Error));
    }

    [Fact]
    public void Runs_are_listed_newest_first()
    {
        var book = new RunBook();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        book.Submitted(a, "a", 1, DateTimeOffset.UnixEpoch);
        book.Submitted(b, "b", 1, DateTimeOffset.UnixEpoch);
        Assert.Equal([b, a], book.All().Select(r => r.Id));
    }
}

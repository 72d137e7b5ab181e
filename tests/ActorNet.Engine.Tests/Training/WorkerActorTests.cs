using ActorNet.Actors;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Protocol;
using Xunit;

namespace ActorNet.Tests.Training;

public sealed class WorkerActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Spec = """
        { "data": { "builtin": "xor", "samples": 40 }, "layers": [ { "size": 2, "activation": "softmax" } ],
          "loss": "softmaxCrossEntropy", "optimizer": { "kind": "sgd", "learningRate": 0.1 } }
        """;

    [Fact]
    public void A_worker_whose_data_differ_says_so_and_builds_no_replica()
    {
        var spec = RunSpecReader.Parse(Spec);
        var data = DataCache.Get(spec, null);
        var worker = Sys.ActorOf(WorkerActor.Props());
        var runId = Guid.NewGuid();
        worker.Tell(new StartReplica<float>(runId, Spec, null, data.Train.Count, new string('0', 64), 0, [new float[6]], [TestActor]), TestActor);
        var refused = ExpectMsg<ReplicaRefused>();
        Assert.Equal(runId, refused.RunId);
        Assert.StartsWith("this worker's training data differ from the run's", refused.Reason);
    }

    [Fact]
    public void A_worker_with_the_same_data_starts_a_replica()
    {
        var spec = RunSpecReader.Parse(Spec);
        var data = DataCache.Get(spec, null);
        var worker = Sys.ActorOf(WorkerActor.Props());
        worker.Tell(new StartReplica<float>(Guid.NewGuid(), Spec, null, data.Train.Count, data.TrainSha256, 0, [new float[6]], [TestActor]), TestActor);
        ExpectMsg<ReplicaStarted>();
    }
}

public sealed class DataCacheTests
{
    [Fact]
    public void The_same_spec_parsed_twice_shares_one_loaded_data_set()
    {
        const string spec = """
            { "data": { "inline": { "inputs": [[0.5, 1.5], [2, 3]], "targets": [[1], [0]] } },
              "layers": [ { "size": 1, "activation": "logistic" } ], "loss": "sse", "optimizer": { "kind": "sgd", "learningRate": 0.1 } }
            """;
        var a = RunSpecReader.Parse(spec);
        var b = RunSpecReader.Parse(spec);
        Assert.Same(DataCache.Get(a, null), DataCache.Get(b, null));
    }
}

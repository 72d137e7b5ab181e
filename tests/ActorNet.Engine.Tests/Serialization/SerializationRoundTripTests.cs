using ActorNet.Protocol;
using ActorNet.Training;
using ActorNet.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ActorNet.Tests.Serialization;

/// <summary>Every protocol message through the actor system's serialization, with the ActorNet config bound.</summary>
public sealed class SerializationRoundTripTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ActorNetSerializer.Configuration, output: output)
{
    public static TheoryData<string> MessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in WireSamples.ProtocolTypes()) data.Add(TypeKey(type));
        return data;
    }

    // The wire names, pinned: they are the format, so renaming one must fail a test, not pass silently.
    private static readonly string[] ExpectedManifests =
    [
        "grad.compute", "part.loss", "shard.failed", "shard.replicas", "mb.loss", "bwd.completed",
        "run.step", "run.trace", "run.epoch", "run.done", "run.failed", "run.stop", "run.left-out",
        "replica.started", "replica.refused", "worker.add",
        "run.started", "run.worker-joined", "run.worker-left", "run.checkpoint", "run.ended", "run.checkpoint-record", "shard.capture",
        "runs.admitted", "runs.closed", "runs.summarized", "run.checkpoint-saved", "run.resumed",
        .. new[] { "f32", "f64" }.SelectMany(e => new[]
        {
            $"fwd.{e}", $"bwd.{e}", $"grp.fwd.{e}", $"grp.fwd.done.{e}", $"grp.bwd.{e}", $"grp.bwd.done.{e}",
            $"grp.params.{e}", $"grad.{e}", $"params.{e}", $"replica.start.{e}", $"shard.applied.{e}", $"shard.captured.{e}", $"checkpoint.{e}",
        }),
    ];

    [Fact]
    public void Registry_covers_exactly_the_protocol_types()
    {
        var registered = MessageRegistry.Codecs.Select(c => c.Type).OrderBy(t => t.FullName, StringComparer.Ordinal);
        Assert.Equal(WireSamples.ProtocolTypes(), registered);
    }

    [Fact]
    public void Manifests_are_the_pinned_wire_names()
    {
        Assert.Equal(ExpectedManifests.Order(StringComparer.Ordinal), MessageRegistry.Codecs.Select(c => c.Manifest).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Binding_by_marker_interface_selects_ActorNetSerializer(string typeKey)
    {
        var message = Samples().Full(TypeOf(typeKey));
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ActorNetSerializer>(serializer);
        Assert.Equal(ActorNetSerializer.Id, serializer.Identifier);
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Full_message_round_trips_bit_exact(string typeKey) => RoundTrip(Samples().Full(TypeOf(typeKey)));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Sparse_message_round_trips(string typeKey) => RoundTrip(Samples().Sparse(TypeOf(typeKey)));

    [Fact]
    public void Payload_starts_with_format_version_1()
    {
        var bytes = Sys.Serialization.Serialize(new StopRun(Guid.NewGuid()));
        Assert.Equal(1 + 16, bytes.Length);
        Assert.Equal(ActorNetSerializer.FormatVersion, bytes[0]);
        Assert.Equal(1, ActorNetSerializer.FormatVersion);
    }

    [Fact]
    public void Float_array_is_one_little_endian_block_after_its_count()
    {
        var message = new UseParameters<float>(7, [1f, -0f, float.NaN]);
        var bytes = Sys.Serialization.Serialize(message);
        // version, Int64 version, Int32 count, then the raw IEEE bits.
        Assert.Equal(1 + 8 + 4 + 3 * 4, bytes.Length);
        Assert.Equal(3, BitConverter.ToInt32(bytes, 9));
        Assert.Equal<byte>([0x00, 0x00, 0x80, 0x3F], bytes[13..17]);
        Assert.Equal<byte>([0x00, 0x00, 0x00, 0x80], bytes[17..21]);
    }

    [Fact]
    public void A_shard_s_new_parameters_are_encoded_once_for_all_their_recipients()
    {
        // Akka.Remote asks for the bytes once per recipient; a shard sends one message to every replica.
        var update = new ParametersUpdated<float>(Guid.NewGuid(), 3, 1, [1f, 2f, 3f]);
        var serializer = Sys.Serialization.FindSerializerFor(update);

        var first = serializer.ToBinary(update);
        var second = serializer.ToBinary(update);
        var equalButAnother = serializer.ToBinary(update with { });
        var request = new ComputeGradients(Guid.NewGuid(), 3, 0, 0, 1, [1, 2]);

        Assert.Same(first, second);
        Assert.NotSame(first, equalButAnother);
        Assert.Equal(first, equalButAnother);
        Assert.NotSame(serializer.ToBinary(request), serializer.ToBinary(request)); // not broadcast: encoded each time
        var copy = (ParametersUpdated<float>)Sys.Serialization.Deserialize(second, serializer.Identifier, "params.f32");
        Assert.Equal(update.Parameters, copy.Parameters);
        Assert.Equal((update.RunId, update.Version, update.Layer), (copy.RunId, copy.Version, copy.Layer));
        Assert.False(update.OwnedByReceiver);
        Assert.True(copy.OwnedByReceiver); // the receiving layer gives it back to the pool when replaced
    }

    [Fact]
    public void A_gradient_sent_to_another_node_goes_back_to_the_pool_once_written_and_arrives_in_a_pooled_array()
    {
        // A length no other test uses, so that the pool's arrays of it are this test's alone.
        const int length = 1237;
        var gradient = new double[length];
        gradient[7] = 3.5;
        var message = new LayerGradientsComputed<double>(Guid.NewGuid(), 3, 0, 1, 0, 2, 16, gradient);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var bytes = serializer.ToBinary(message);
        var rented = BufferPool<double>.Rent(length, clear: false);
        Assert.Same(gradient, rented); // the sender's array was handed back once it was on the wire

        BufferPool<double>.Return(rented);
        var copy = (LayerGradientsComputed<double>)Sys.Serialization.Deserialize(bytes, serializer.Identifier, "grad.f64");
        Assert.Same(gradient, copy.Gradients); // read into the pooled array...
        Assert.Equal(3.5, copy.Gradients[7]);  // ...with the values from the wire
    }

    [Fact]
    public void UseReplicas_actor_refs_resolve_to_the_same_live_actors()
    {
        var echo = Sys.ActorOf(Props.Create(() => new EchoActor()), "replica-0");
        var message = new UseReplicas(Guid.NewGuid(), [echo, TestActor]);

        var copy = (UseReplicas)RoundTrip(message);

        Assert.Equal(echo.Path, copy.Replicas[0].Path);
        Assert.Equal(echo, copy.Replicas[0]);
        copy.Replicas[0].Tell("ping", TestActor);
        ExpectMsg("ping");
    }

    [Fact]
    public void ActorRef_to_a_stopped_actor_reads_as_a_dead_letter_ref_with_its_path()
    {
        // As with Akka's own serializers: the path resolves, to a ref whose messages go to dead letters.
        var gone = Sys.ActorOf(Props.Create(() => new EchoActor()), "gone");
        Watch(gone);
        Sys.Stop(gone);
        ExpectTerminated(gone);
        var message = new UseReplicas(Guid.Empty, [gone]);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var copy = (UseReplicas)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, "shard.replicas");

        Assert.Equal("/user/gone", copy.Replicas[0].Path.ToStringWithoutAddress());
        Assert.NotEqual(gone, copy.Replicas[0]);
    }

    private object RoundTrip(object message)
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var manifest = serializer.Manifest(message);
        var bytes = serializer.ToBinary(message);
        var copy = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        WireAssert.Same(message, copy);
        return copy;
    }

    private WireSamples Samples() => new([TestActor, Sys.DeadLetters]);

    private static string TypeKey(Type type) =>
        type.IsGenericType ? $"{type.GetGenericTypeDefinition().FullName}[{type.GetGenericArguments()[0].Name}]" : type.FullName!;

    private static Type TypeOf(string key) => WireSamples.ProtocolTypes().Single(t => TypeKey(t) == key);

    private sealed class EchoActor : ReceiveActor
    {
        public EchoActor() => ReceiveAny(m => Sender.Tell(m));
    }
}

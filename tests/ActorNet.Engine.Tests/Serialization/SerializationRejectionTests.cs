using System.Buffers.Binary;
using System.Runtime.Serialization;
using ActorNet.Numerics;
using ActorNet.Protocol;
using ActorNet.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ActorNet.Tests.Serialization;

/// <summary>
/// Bad input is refused with a SerializationException naming the manifest, never any other
/// exception: Akka.NET's remoting drops one message on that type but tears down the whole
/// connection on any other (API docs of SerializerWithStringManifest.FromBinary).
/// </summary>
public sealed class SerializationRejectionTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ActorNetSerializer.Configuration, output: output)
{
    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var codec in MessageRegistry.Codecs) data.Add(codec.Manifest);
        return data;
    }

    private ActorNetSerializer Serializer => (ActorNetSerializer)Sys.Serialization.FindSerializerForType(typeof(IActorNetMessage));

    [Theory]
    [InlineData("nope")]
    [InlineData("")]
    [InlineData("fwd.f16")]
    [InlineData("FWD.F32")]
    [InlineData("ActorNet.Protocol.StopRun, ActorNet.Engine")] // a type name is not a manifest: nothing is created from it
    [InlineData("System.IO.FileInfo, System.IO.FileSystem")]
    public void Unknown_manifest_is_refused_by_name(string manifest)
    {
        var e = Refused(Serializer.ToBinary(new StopRun(Guid.NewGuid())), manifest);
        Assert.Contains("unknown manifest", e.Message);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_truncation_is_refused(string manifest)
    {
        var bytes = Serializer.ToBinary(Sample(manifest));
        for (var length = 0; length < bytes.Length; length++)
        {
            // Cut inside an array, the count itself is what is refused (it claims more than remains).
            var e = Refused(bytes[..length], manifest);
            Assert.Contains(length == 0 ? "payload is empty" : "at byte offset", e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Trailing_bytes_are_refused(string manifest)
    {
        var bytes = Serializer.ToBinary(Sample(manifest));
        var e = Refused([.. bytes, 0], manifest);
        Assert.Contains($"after the message, from byte offset {bytes.Length}", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(255)]
    public void Unknown_format_version_is_refused(byte version)
    {
        var bytes = Serializer.ToBinary(new StopRun(Guid.NewGuid()));
        bytes[0] = version;
        var e = Refused(bytes, "run.stop");
        Assert.Contains($"format version {version} at byte offset 0", e.Message);
    }

    // Offsets: 1 version byte, then fields in order (Guid 16, long 8, int 4).
    [Theory]
    [InlineData("grad.compute", 37, -1)] // ComputeGradients.Indices
    [InlineData("grad.compute", 37, int.MinValue)]
    [InlineData("grad.compute", 37, int.MaxValue)]
    [InlineData("grad.compute", 37, 7)] // six ints follow: 24 bytes, not 28
    [InlineData("grad.compute", 37, 0x4000_0000)] // 4 GiB of ints: overflows a naive length * 4
    [InlineData("run.failed", 25, 1 << 30)] // RunFailed.Reason
    [InlineData("run.failed", 25, -5)]
    [InlineData("run.trace", 25, int.MaxValue)] // StepTraced.AverageGradients row count
    [InlineData("run.done", 29, 1_000_000)] // RunCompleted.Epochs count
    [InlineData("shard.replicas", 17, int.MaxValue)] // UseReplicas.Replicas count
    [InlineData("grad.f64", 45, 0x2000_0000)] // LayerGradientsComputed<double>.Gradients: 4 GiB of doubles
    [InlineData("fwd.f32", 49, int.MaxValue)] // ForwardBatch<float>.Activations, after eight scalars
    public void Length_beyond_the_payload_is_refused_before_allocating(string manifest, int offset, int length)
    {
        var bytes = Serializer.ToBinary(Sample(manifest));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), length);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Refused(bytes, manifest);

        Assert.Contains($"length {length} at byte offset {offset} is impossible", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "refused only after a large allocation");
    }

    [Fact]
    public void Boolean_other_than_0_or_1_is_refused()
    {
        var bytes = Serializer.ToBinary(new ComputeGroupGradients<float>(1, 0, 2, 3, [1f], true, false));
        // version 1 + Step 8 + Attempt 4 + MicroBatch 4 + Rows 4 + count 4 + one float 4 = offset 29.
        bytes[29] = 2;
        Assert.Contains("boolean byte 2 (only 0 and 1 are valid) at byte offset 29", Refused(bytes, "grp.bwd.f32").Message);
    }

    [Fact]
    public void Enum_value_outside_the_enum_is_refused()
    {
        var bytes = Serializer.ToBinary(new RunCompleted(Guid.NewGuid(), RunOutcome.Completed, 3, [], []));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(17), 7);
        Assert.Contains("value 7 that is not a RunOutcome at byte offset 17", Refused(bytes, "run.done").Message);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var bytes = Serializer.ToBinary(new RunFailed(Guid.NewGuid(), 1, "ab"));
        bytes[^1] = 0xFF;
        Assert.Contains("not valid UTF-8 at byte offset 25", Refused(bytes, "run.failed").Message);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Random_corruption_is_decoded_or_refused_never_thrown_otherwise(string manifest)
    {
        var original = Serializer.ToBinary(Sample(manifest));
        var rng = new Rng(unchecked((ulong)manifest.Length * 7919 + manifest[0]));
        for (var trial = 0; trial < 300; trial++)
        {
            var bytes = original.ToArray();
            for (var flips = 1 + rng.NextInt(4); flips > 0; flips--) bytes[rng.NextInt(bytes.Length)] = (byte)rng.NextInt(256);
            var e = Record.Exception(() => Serializer.FromBinary(bytes, manifest));
            if (e is not null) Assert.IsType<SerializationException>(e);
        }
    }

    [Fact]
    public void Message_without_a_registry_row_is_refused_by_type_name()
    {
        var stray = new UnregisteredMessage(1);
        Assert.IsType<ActorNetSerializer>(Sys.Serialization.FindSerializerFor(stray));
        var e = Assert.Throws<SerializationException>(() => Serializer.ToBinary(stray));
        Assert.Contains(nameof(UnregisteredMessage), e.Message);
        Assert.Contains(nameof(MessageRegistry), e.Message);
    }

    [Fact]
    public void Required_array_that_is_null_is_refused_on_write()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.ToBinary(new UseParameters<float>(1, null!)));
        Assert.Contains("'grp.params.f32'", e.Message);
    }

    [Fact]
    public void Reading_allocates_only_the_message_and_its_arrays()
    {
        const int n = 100_000;
        var bytes = Serializer.ToBinary(new LayerGradientsComputed<float>(Guid.NewGuid(), 1, 0, 2, 0, 1, 32, new float[n]));
        Serializer.FromBinary(bytes, "grad.f32"); // JIT and first-use work out of the measurement

        var before = GC.GetAllocatedBytesForCurrentThread();
        Serializer.FromBinary(bytes, "grad.f32");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The float[] (n·4 + its 24-byte header) and the record (< 100 bytes).
        Assert.InRange(allocated, n * sizeof(float), n * sizeof(float) + 24 + 100);
    }

    private SerializationException Refused(byte[] bytes, string manifest)
    {
        var e = Record.Exception(() => Serializer.FromBinary(bytes, manifest));
        var refusal = Assert.IsType<SerializationException>(e);
        Assert.Contains($"'{manifest}'", refusal.Message);
        return refusal;
    }

    private object Sample(string manifest)
    {
        Assert.True(MessageRegistry.TryGet(manifest, out var codec));
        return new WireSamples([TestActor]).Full(codec.Type);
    }

    private sealed record UnregisteredMessage(int Value) : IActorNetMessage;
}

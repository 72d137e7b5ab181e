using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using ActorNet.Formats;
using ActorNet.Persistence;
using ActorNet.Protocol;
using ActorNet.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace ActorNet.Tests.Formats;

/// <summary>Every stored record kind through the stored serializer, as an actor system with
/// ActorNet's configuration journals it; version 1 (the wire format) still read; unknown fields
/// skipped; unknown versions and kinds refused by name.</summary>
public sealed class StoredFormatsTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(StoredSerializer.Configuration.WithFallback(ActorNetSerializer.Configuration), output: output)
{
    // The manifests new records are written under, pinned: they are the format.
    private static readonly string[] ExpectedManifests =
    [
        "run.started/v2", "run.worker-joined/v2", "run.worker-left/v2", "run.epoch/v2", "run.checkpoint/v2", "run.ended/v2",
        "run.checkpoint-record/v2", "checkpoint.f32/v2", "checkpoint.f64/v2", "runs.admitted/v2", "runs.closed/v2", "runs.summarized/v2",
    ];

    public static TheoryData<string> Kinds() => StoredSamples.Kinds();

    [Fact]
    public void Manifests_are_the_pinned_kinds_and_versions() =>
        Assert.Equal(ExpectedManifests, StoredFormats.Kinds.Select(k => k.Manifest));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_is_bound_to_the_stored_serializer_whatever_the_order_of_the_configuration(string kind)
    {
        var record = StoredSamples.Full(kind);
        Assert.IsType<StoredSerializer>(Sys.Serialization.FindSerializerFor(record));
        var config = ActorNetSerializer.Configuration.WithFallback(StoredSerializer.Configuration);
        using var reversed = ActorSystem.Create("reversed", config);
        Assert.Equal(StoredSerializer.Id, reversed.Serialization.FindSerializerFor(record).Identifier);
        // A persistence configuration brings the stored serializer along.
        using var persistent = ActorSystem.Create("persistent", Database.Parse("unused.db").ToAkkaConfig().WithFallback(ActorNetSerializer.Configuration));
        Assert.Equal(StoredSerializer.Id, persistent.Serialization.FindSerializerFor(record).Identifier);
    }

    [Fact]
    public void Messages_that_are_not_stored_stay_with_the_wire_serializer() =>
        Assert.IsType<ActorNetSerializer>(Sys.Serialization.FindSerializerFor(new StopRun(Guid.NewGuid())));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_round_trips_bit_exact(string kind) => RoundTrip(StoredSamples.Full(kind));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_round_trips_with_empty_and_absent_fields(string kind) => RoundTrip(StoredSamples.Empty(kind));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_still_reads_version_1_the_wire_format_of_older_databases(string kind)
    {
        var record = StoredSamples.Full(kind);
        var wire = new ActorNetSerializer((ExtendedActorSystem)Sys);
        var read = StoredFormats.Decode(wire.ToBinary(record), ActorNetSerializer.Id, wire.Manifest(record));
        Assert.Equal(WireBytes(record), WireBytes(read));
        // The same reader under the stored serializer's own manifest.
        Assert.Equal(WireBytes(record), WireBytes(StoredFormats.Read(wire.ToBinary(record), $"{kind}/v1")));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Version_2_is_a_protobuf_message_that_protobuf_readers_walk(string kind)
    {
        var payload = Sys.Serialization.Serialize(StoredSamples.Full(kind));
        var input = new CodedInputStream(payload);
        var fields = new List<int>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            fields.Add(WireFormat.GetTagFieldNumber(tag));
            input.SkipLastField();
        }
        Assert.True(input.IsAtEnd);
        Assert.Equal(1, fields[0]);  // field numbers follow the constructor, from 1
        Assert.Equal(fields.Order(), fields);
    }

    [Fact]
    public void A_checkpoint_s_arrays_are_packed_little_endian_floats_read_by_protobuf_as_such()
    {
        var checkpoint = (Checkpoint<float>)StoredSamples.Full("checkpoint.f32");
        var payload = Sys.Serialization.Serialize(checkpoint);
        var input = new CodedInputStream(payload);
        var layers = new List<float[]>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 9)
            {
                input.SkipLastField();
                continue;
            }
            // Parameters: one message per layer whose field 1 is a packed repeated float.
            var layer = new CodedInputStream(input.ReadBytes().ToByteArray());
            Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), layer.ReadTag());
            var block = layer.ReadBytes().ToByteArray();
            layers.Add(MemoryMarshal.Cast<byte, float>(block).ToArray());
        }
        Assert.Equal(checkpoint.Parameters.Length, layers.Count);
        for (var l = 0; l < layers.Count; l++)
            Assert.Equal(MemoryMarshal.AsBytes(checkpoint.Parameters[l].AsSpan()).ToArray(), MemoryMarshal.AsBytes(layers[l].AsSpan()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Fields_a_newer_writer_added_are_skipped(string kind)
    {
        var record = StoredSamples.Full(kind);
        var payload = Sys.Serialization.Serialize(record);
        var output = new MemoryStream();
        output.Write(payload);
        using (var extra = new CodedOutputStream(output, leaveOpen: true))
        {
            extra.WriteTag(90, WireFormat.WireType.Varint);
            extra.WriteInt64(-5);
            extra.WriteTag(91, WireFormat.WireType.LengthDelimited);
            extra.WriteString("a field from the future");
            extra.WriteTag(92, WireFormat.WireType.Fixed64);
            extra.WriteDouble(1.5);
            extra.WriteTag(93, WireFormat.WireType.Fixed32);
            extra.WriteFloat(2.5f);
        }
        var read = StoredFormats.Read(output.ToArray(), StoredFormats.For(record.GetType()).Manifest);
        Assert.Equal(WireBytes(record), WireBytes(read));
    }

    [Fact]
    public void A_schema_version_from_the_future_is_refused_naming_kind_and_version()
    {
        var payload = Sys.Serialization.Serialize(StoredSamples.Full("run.ended"));
        var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(payload, StoredSerializer.Id, "run.ended/v3"));
        Assert.Equal("ActorNet stored record: 'run.ended' schema version 3 is not one this build reads (it reads versions 1 to 2; was it written by a newer ActorNet?).",
            e.Message);
    }

    [Theory]
    [InlineData("run.teleported/v2", "unknown record kind 'run.teleported'")]
    [InlineData("run.ended", "manifest 'run.ended' is not a record kind and schema version")]
    [InlineData("run.ended/vX", "manifest 'run.ended/vX' is not a record kind and schema version")]
    [InlineData("run.ended/v0", "'run.ended' schema version 0 is not one this build reads")]
    public void An_unknown_kind_or_manifest_is_refused_by_name(string manifest, string expected)
    {
        var e = Assert.Throws<SerializationException>(() => StoredFormats.Read([], manifest));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_record_without_a_field_its_version_always_has_is_refused_naming_the_field()
    {
        // A WorkerJoined whose last field (at_unix_ms, 4) is cut off at a field boundary.
        var payload = Sys.Serialization.Serialize(new WorkerJoined(Guid.NewGuid(), "w", 3, 1_780_000_000_000));
        var cut = payload[..^7];  // tag (1 byte) and a 6-byte varint
        var e = Assert.Throws<SerializationException>(() => StoredFormats.Read(cut, "run.worker-joined/v2"));
        Assert.Equal("ActorNet stored record: cannot read 'run.worker-joined' schema version 2: field 4 is missing (in the record).", e.Message);
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused_with_its_offset()
    {
        var payload = Sys.Serialization.Serialize(StoredSamples.Full("checkpoint.f32"));
        var e = Assert.Throws<SerializationException>(() => StoredFormats.Read(payload[..^10], "checkpoint.f32/v2"));
        Assert.StartsWith("ActorNet stored record: cannot read 'checkpoint.f32' schema version 2: truncated at byte offset", e.Message);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_refused()
    {
        // Field 1 (run_id) as a varint instead of 16 bytes.
        var e = Assert.Throws<SerializationException>(() => StoredFormats.Read([0x08, 0x01], "runs.closed/v2"));
        Assert.Equal("ActorNet stored record: cannot read 'runs.closed' schema version 2: field 1 with wire type 0, where the schema has 2 at byte offset 1.", e.Message);
    }

    [Fact]
    public void A_record_from_another_serializer_is_refused_by_its_id()
    {
        var e = Assert.Throws<SerializationException>(() => StoredFormats.Decode([], 1, "run.ended"));
        Assert.Contains("written by serializer 1", e.Message);
    }

    private void RoundTrip(object record)
    {
        var serializer = Sys.Serialization.FindSerializerFor(record);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, record);
        var payload = serializer.ToBinary(record);
        var read = Sys.Serialization.Deserialize(payload, serializer.Identifier, manifest);
        Assert.IsType(record.GetType(), read);
        Assert.Equal(WireBytes(record), WireBytes(read));
    }

    /// <summary>A record's wire encoding: every field, arrays bit for bit, in a fixed order, so equal bytes mean equal records.</summary>
    private byte[] WireBytes(object record) => new ActorNetSerializer((ExtendedActorSystem)Sys).ToBinary(record);
}

using System.Runtime.CompilerServices;
using ActorNet.Protocol;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace ActorNet.Serialization;

/// <summary>
/// The binary wire serializer of every <see cref="IActorNetMessage"/> between nodes. Records that
/// are stored (journal events, checkpoints) are bound to a serializer of their own, with versioned
/// schemas (ActorNet.Formats.StoredSerializer, in ActorNet.Storage); databases written before it
/// hold them in this format, which it reads as their version 1 (through <see cref="Decode"/>).
/// A <see cref="SerializerWithStringManifest"/>, as the Akka.NET docs advise
/// for anything that must survive version changes
/// (https://getakka.net/articles/networking/serialization.html, "Serializer with String
/// Manifest"): the manifest names the message in <see cref="MessageRegistry"/>'s closed table,
/// never a .NET type, so the wire cannot make this node instantiate anything else.
/// <para>
/// Payload: one format-version byte (<see cref="FormatVersion"/>), then the message's fields in
/// the order the registry writes them, little-endian; numeric arrays as an int32 count and one
/// raw block. Replaces Akka's default Newtonsoft JSON serializer for these messages, which took
/// seconds for a 10 MB float[] and names arbitrary types on the wire.
/// </para>
/// </summary>
public sealed class ActorNetSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer id written next to every message on the wire. Akka.NET reserves 0–100 for
    /// its own serializers (docs, "Serializer IDs"); 4242 is ActorNet's and must never change.
    /// </summary>
    public const int Id = 4242;

    /// <summary>The first byte of every payload. A node refuses payloads of any other version.</summary>
    public const byte FormatVersion = 1;

    /// <summary>
    /// The HOCON that registers this serializer and binds it to <see cref="IActorNetMessage"/>, for
    /// an actor system created without the generic host (tests, benchmarks) with
    /// <c>.WithFallback(ActorNetSerializer.Configuration)</c>; the nodes bind it through Akka.Hosting's
    /// serializer builder instead (ActorNet.Hosting's AddActorNet), with the same id and binding.
    /// The binding is by the marker interface, so a new message needs only its registry row.
    /// </summary>
    public static Config Configuration { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers {
            actornet = "{{TypeName(typeof(ActorNetSerializer))}}"
          }
          serialization-bindings {
            "{{TypeName(typeof(IActorNetMessage))}}" = actornet
          }
          serialization-identifiers {
            "{{TypeName(typeof(ActorNetSerializer))}}" = {{Id}}
          }
        }
        """);

    private readonly ExtendedActorSystem _system;

    /// <summary>Called by Akka.NET's serialization extension with the system it serves.</summary>
    public ActorNetSerializer(ExtendedActorSystem system) : base(system) => _system = system;

    public override int Identifier => Id;

    public override string Manifest(object o) => CodecFor(o).Manifest;

    private static long _bytesWritten;

    /// <summary>Payload bytes this process has handed to other nodes so far (messages between
    /// actors of one process are not serialized; a broadcast message counts once per recipient,
    /// though encoded once). Read by the benchmark.</summary>
    public static long BytesWritten => Interlocked.Read(ref _bytesWritten);

    // Akka.Remote encodes a message once per recipient; a shard sends one ParametersUpdated to
    // every replica. The bytes of a broadcast message are kept as long as the message lives, and
    // its other recipients get the same bytes (Akka.Remote only reads them).
    private static readonly ConditionalWeakTable<object, byte[]> BroadcastBytes = new();

    public override byte[] ToBinary(object obj)
    {
        if (obj is IBroadcastMessage && BroadcastBytes.TryGetValue(obj, out var encoded))
        {
            Interlocked.Add(ref _bytesWritten, encoded.Length);
            return encoded;
        }
        var codec = CodecFor(obj);
        // Measure, then write into a buffer of exactly that size: the arrays are copied once.
        var measuring = WireWriter.Measuring(codec.Manifest);
        WriteMessage(ref measuring, codec, obj);
        var bytes = GC.AllocateUninitializedArray<byte>(measuring.Position);
        HugePages.Advise(bytes); // checkpoints: see HugePages
        var writer = WireWriter.Into(bytes, codec.Manifest);
        WriteMessage(ref writer, codec, obj);
        Interlocked.Add(ref _bytesWritten, bytes.Length);
        if (obj is IBroadcastMessage) BroadcastBytes.AddOrUpdate(obj, bytes);
        if (obj is IHandsOverArrays handed) handed.ArraysWritten(); // the receiver gets its own
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest) => Read(bytes, manifest, _system);

    /// <summary>Reads a payload without an actor system: a record stored in this format (version 1
    /// of the stored formats, which reads it through here). A message that holds actor references cannot be read this way.</summary>
    public static object Decode(byte[] bytes, string manifest) => Read(bytes, manifest, system: null);

    private static object Read(byte[] bytes, string? manifest, ExtendedActorSystem? system)
    {
        if (!MessageRegistry.TryGet(manifest ?? "", out var codec)) throw WireErrors.UnknownManifest(manifest ?? "(null)");
        var reader = new WireReader(bytes, codec.Manifest, system);
        ReadVersion(ref reader, codec.Manifest);
        object message;
        try
        {
            message = codec.Read(ref reader);
        }
        catch (ArgumentException e)
        {
            // A message's constructor may validate its fields; refusing them is refusing the payload.
            throw WireErrors.Rejected(codec.Manifest, e);
        }
        reader.ExpectEnd();
        return message;
    }

    private static void WriteMessage(ref WireWriter writer, MessageCodec codec, object message)
    {
        writer.Byte(FormatVersion);
        codec.Write(ref writer, message);
    }

    private static void ReadVersion(ref WireReader reader, string manifest)
    {
        if (reader.Remaining == 0) throw WireErrors.MissingPayload(manifest);
        var version = reader.Byte();
        if (version != FormatVersion) throw WireErrors.UnknownVersion(manifest, version, FormatVersion);
    }

    private static MessageCodec CodecFor(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MessageRegistry.TryGet(message.GetType(), out var codec) ? codec : throw WireErrors.UnregisteredType(message.GetType());
    }

    /// <summary>"Namespace.Type, Assembly": the form Akka's HOCON type names take, without a version to go stale.</summary>
    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}

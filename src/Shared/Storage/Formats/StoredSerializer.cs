using ActorNet.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace ActorNet.Formats;

/// <summary>
/// The Akka serializer of the records ActorNet stores (journal events and checkpoints), apart
/// from the wire serializer of its messages so that the two can change on their own: a message
/// lives for one conversation between nodes of one version, a stored record for as long as the
/// database. Writes each record in the newest schema version of its kind
/// (<see cref="StoredFormats"/>) under the manifest "kind/vN", and reads every version it knows.
/// Records of databases written before it exist carry <see cref="ActorNetSerializer.Id"/> and
/// the wire serializer reads them (they are version 1).
/// </summary>
public sealed class StoredSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer id stored next to every record. Akka.NET reserves 0–100 for its own; 4242 is
    /// the wire serializer's; 4243 is this one's and must never change.
    /// </summary>
    public const int Id = 4243;

    /// <summary>
    /// The HOCON that registers this serializer and binds each stored record type to it, by its
    /// exact type. The records are also <see cref="Protocol.IActorNetMessage"/>s, which the wire
    /// serializer is bound to; Akka.NET looks a type up among the bindings first and tries the
    /// bindings of its base types only when there is none, so the exact binding wins whatever
    /// the order of the configuration (a test holds this). Every node puts it beside
    /// <see cref="ActorNetSerializer.Configuration"/> (an <see cref="Protocol.EpochCompleted"/> is
    /// both journaled and sent), and <see cref="Persistence.Database.ToAkkaConfig"/> brings it
    /// along, so that nothing journals without it.
    /// </summary>
    public static Config Configuration { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers {
            actornet-stored = "{{TypeName(typeof(StoredSerializer))}}"
          }
          serialization-bindings {
            {{string.Join("\n    ", StoredFormats.Kinds.Select(k => $"\"{TypeName(k.Type)}\" = actornet-stored"))}}
          }
          serialization-identifiers {
            "{{TypeName(typeof(StoredSerializer))}}" = {{Id}}
          }
        }
        """);

    /// <summary>The stored record types, each bound to this serializer by its exact type.</summary>
    public static IReadOnlyList<Type> BoundTypes { get; } = StoredFormats.Kinds.Select(k => k.Type).ToArray();

    /// <summary>Called by Akka.NET's serialization extension with the system it serves.</summary>
    public StoredSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => StoredFormats.For(o.GetType()).Manifest;

    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = StoredFormats.For(obj.GetType());
        // Measure, then write into a buffer of exactly that size: a checkpoint's arrays are copied once.
        var measuring = ProtoWriter.Measuring(kind.Name);
        kind.Write(ref measuring, obj);
        var bytes = GC.AllocateUninitializedArray<byte>(measuring.Position);
        HugePages.Advise(bytes); // checkpoints: see HugePages
        var writer = ProtoWriter.Into(bytes, kind.Name);
        kind.Write(ref writer, obj);
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest) => StoredFormats.Read(bytes, manifest);

    /// <summary>"Namespace.Type, Assembly" (a generic type's arguments fully qualified): the form Akka's HOCON type names take.</summary>
    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}

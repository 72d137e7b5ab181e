using ActorNet.Protocol;

namespace ActorNet.Serialization;

/// <summary>One row of <see cref="MessageRegistry"/>: a message type, its manifest, and how its body is written and read.</summary>
internal sealed class MessageCodec
{
    private readonly BodyWriter<object> _write;
    private readonly BodyReader<object> _read;

    private MessageCodec(string manifest, Type type, BodyWriter<object> write, BodyReader<object> read)
    {
        Manifest = manifest;
        Type = type;
        _write = write;
        _read = read;
    }

    /// <summary>The name the wire carries for <see cref="Type"/>. Part of the format: never renamed, never reused.</summary>
    public string Manifest { get; }

    /// <summary>The exact runtime type (closed, for generic messages).</summary>
    public Type Type { get; }

    public static MessageCodec Of<TMessage>(string manifest, BodyWriter<TMessage> write, BodyReader<TMessage> read)
        where TMessage : class, IActorNetMessage =>
        // Readers are covariant, so the typed one is used as is; writers need the cast.
        new(manifest, typeof(TMessage), (ref w, message) => write(ref w, (TMessage)message), read);

    public void Write(ref WireWriter writer, object message) => _write(ref writer, message);

    public object Read(ref WireReader reader) => _read(ref reader);
}

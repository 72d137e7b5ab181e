using System.Runtime.Serialization;

namespace ActorNet.Serialization;

/// <summary>
/// Every way a payload can be refused, as a <see cref="SerializationException"/> naming the
/// manifest and, when reading, the byte offset. Akka.NET's remoting treats that exception type as
/// a transient problem (log and drop the one message) while any other exception tears down the
/// connection (Akka.NET API docs of SerializerWithStringManifest.FromBinary), so corrupt or
/// hostile bytes must never surface as IndexOutOfRange, OutOfMemory and the like. Kept out of
/// line so that the formatting code stays off the hot path.
/// </summary>
internal static class WireErrors
{
    private const string Prefix = "ActorNet wire";

    public static SerializationException UnknownManifest(string manifest) =>
        new($"{Prefix}: unknown manifest '{manifest}': no ActorNet message type is registered under it on this node " +
            "(is the sender running a newer version?).");

    public static SerializationException UnregisteredType(Type type) =>
        new($"{Prefix}: {type} is an IActorNetMessage but has no codec; register it in {nameof(MessageRegistry)}.");

    public static SerializationException TooLarge(string manifest) =>
        new($"{Prefix}: cannot write '{manifest}': the message is larger than 2 GiB.");

    public static SerializationException MissingPayload(string manifest) =>
        new($"{Prefix}: cannot read '{manifest}': the payload is empty (expected the format version byte at byte offset 0).");

    public static SerializationException UnknownVersion(string manifest, byte version, byte supported) =>
        new($"{Prefix}: cannot read '{manifest}': format version {version} at byte offset 0 is not supported (this node reads version {supported}).");

    public static SerializationException Truncated(string manifest, int offset, int needed, int remaining) =>
        new($"{Prefix}: cannot read '{manifest}': payload truncated at byte offset {offset} (needs {needed} more bytes, {remaining} remain).");

    public static SerializationException BadLength(string manifest, int offset, int length, int elementSize, int remaining) =>
        new($"{Prefix}: cannot read '{manifest}': length {length} at byte offset {offset} is impossible " +
            $"({remaining} bytes remain, each element needs at least {elementSize}).");

    public static SerializationException BadValue(string manifest, int offset, string what) =>
        new($"{Prefix}: cannot read '{manifest}': {what} at byte offset {offset}.");

    public static SerializationException TrailingBytes(string manifest, int offset, int extra) =>
        new($"{Prefix}: cannot read '{manifest}': {extra} unexpected bytes after the message, from byte offset {offset}.");

    public static SerializationException Rejected(string manifest, Exception inner) =>
        new($"{Prefix}: cannot read '{manifest}': the message's constructor rejected the decoded fields: {inner.Message}", inner);
}

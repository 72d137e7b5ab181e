using System.Runtime.Serialization;

namespace ActorNet.Formats;

/// <summary>
/// Every way a stored record can be refused, as a <see cref="SerializationException"/> (the type
/// Akka.NET's serialization expects) that names the record kind and its schema version. Where the
/// record lies (persistence id, sequence number) is not the serializer's to know: the database
/// reader (<see cref="Persistence.CheckpointStore"/>) and the journal add it.
/// </summary>
internal static class StoredErrors
{
    private const string Prefix = "ActorNet stored record";

    public static SerializationException BadManifest(string manifest) =>
        new($"{Prefix}: manifest '{manifest}' is not a record kind and schema version (as 'run.started/v2').");

    public static SerializationException UnknownKind(string kind) =>
        new($"{Prefix}: unknown record kind '{kind}' (this build knows {string.Join(", ", StoredFormats.Kinds.Select(k => k.Name))}; was it written by a newer ActorNet?).");

    public static SerializationException UnknownVersion(string kind, int version, int newest) =>
        new($"{Prefix}: '{kind}' schema version {version} is not one this build reads (it reads versions 1 to {newest}; was it written by a newer ActorNet?).");

    public static SerializationException UnregisteredType(Type type) =>
        new($"{Prefix}: {type} has no stored format; give it a kind in {nameof(StoredFormats)}.");

    public static SerializationException Truncated(string kind, int version, int offset, ulong needed, int remaining) =>
        new($"{Prefix}: cannot read '{kind}' schema version {version}: truncated at byte offset {offset} (needs {needed} more bytes, {remaining} remain).");

    public static SerializationException BadValue(string kind, int version, int offset, string what) =>
        new($"{Prefix}: cannot read '{kind}' schema version {version}: {what} at byte offset {offset}.");

    public static SerializationException MissingField(string kind, int version, int field, int messageOffset) =>
        new($"{Prefix}: cannot read '{kind}' schema version {version}: field {field} is missing " +
            $"(in the {(messageOffset == 0 ? "record" : $"message at byte offset {messageOffset}")}).");

    public static SerializationException Rejected(string kind, int version, Exception inner) =>
        new($"{Prefix}: cannot read '{kind}' schema version {version}: the record's constructor rejected the decoded fields: {inner.Message}", inner);
}

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;

namespace ActorNet.Serialization;

/// <summary>
/// Writes one message body in the ActorNet wire format: little-endian scalars, length-prefixed
/// blocks. A codec's writer runs twice over the same message: first on a measuring writer (which
/// only counts bytes), then on a writer over a byte[] of exactly that size, so that a 40 MB
/// gradient is copied once, straight into the result, with no growable buffer and no final copy.
/// </summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _buffer;
    private readonly bool _measuring;
    private readonly string _manifest;
    private int _position;

    private WireWriter(Span<byte> buffer, bool measuring, string manifest)
    {
        _buffer = buffer;
        _measuring = measuring;
        _manifest = manifest;
        _position = 0;
    }

    /// <summary>A writer that stores nothing and only adds up <see cref="Position"/>.</summary>
    public static WireWriter Measuring(string manifest) => new(default, true, manifest);

    /// <summary>A writer into <paramref name="buffer"/>, which must be exactly as large as measured.</summary>
    public static WireWriter Into(Span<byte> buffer, string manifest) => new(buffer, false, manifest);

    /// <summary>Bytes written (or counted) so far.</summary>
    public readonly int Position => _position;

    public void Byte(byte value)
    {
        if (Reserve(1, out var span)) span[0] = value;
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Int32(int value)
    {
        if (Reserve(sizeof(int), out var span)) BinaryPrimitives.WriteInt32LittleEndian(span, value);
    }

    public void Int64(long value)
    {
        if (Reserve(sizeof(long), out var span)) BinaryPrimitives.WriteInt64LittleEndian(span, value);
    }

    /// <summary>The IEEE bits as they are, NaN payloads and signed zeros included.</summary>
    public void Double(double value)
    {
        if (Reserve(sizeof(double), out var span)) BinaryPrimitives.WriteDoubleLittleEndian(span, value);
    }

    /// <summary>16 bytes in the layout of <see cref="System.Guid.ToByteArray()"/>, the same on every platform.</summary>
    public void Guid(Guid value)
    {
        if (Reserve(16, out var span)) value.TryWriteBytes(span);
    }

    /// <summary>The enum's int32 value (no boxing, unlike Convert.ToInt32).</summary>
    public void Enum<TEnum>(TEnum value) where TEnum : unmanaged, Enum => Int32(Endian.EnumToInt32(value));

    /// <summary>A presence flag, then the string.</summary>
    public void NullableString(string? value)
    {
        Bool(value is not null);
        if (value is not null) String(value);
    }

    /// <summary>Byte count (int32), then UTF-8. Lone surrogates become U+FFFD, as with <see cref="Encoding.UTF8"/> anywhere.</summary>
    public void String(string value)
    {
        NotNull(value);
        var count = Encoding.UTF8.GetByteCount(value);
        Int32(count);
        if (Reserve(count, out var span)) Encoding.UTF8.GetBytes(value, span);
    }

    /// <summary>
    /// Element count (int32), then the elements' bytes in one block copy: the hot path, as fast as
    /// memcpy. On a big-endian machine the block is byte-swapped after the copy so that the wire
    /// stays little-endian.
    /// </summary>
    public void Array<T>(T[] values) where T : unmanaged, INumberBase<T>
    {
        NotNull(values);
        Int32(values.Length);
        var source = MemoryMarshal.AsBytes(values.AsSpan());
        if (!Reserve(source.Length, out var span)) return;
        source.CopyTo(span);
        Endian.ToLittle<T>(span);
    }

    /// <summary>A presence byte (0 = null, 1 = present), then the array if present.</summary>
    public void NullableArray<T>(T[]? values) where T : unmanaged, INumberBase<T>
    {
        Bool(values is not null);
        if (values is not null) Array(values);
    }

    /// <summary>Row count (int32), then each row as <see cref="Array{T}"/>.</summary>
    public void Jagged<T>(T[][] rows) where T : unmanaged, INumberBase<T>
    {
        NotNull(rows);
        Int32(rows.Length);
        foreach (var row in rows) Array(row);
    }

    /// <summary>Count (int32), then each item through <paramref name="write"/>.</summary>
    public void List<TItem>(IReadOnlyList<TItem> items, BodyWriter<TItem> write)
    {
        NotNull(items);
        Int32(items.Count);
        for (var i = 0; i < items.Count; i++) write(ref this, NotNull(items[i]));
    }

    /// <summary>
    /// The actor's serialized path (with the remote address when written inside a remoting
    /// transport), the form Akka.NET's own serializers use: see "Serializing ActorRefs" in
    /// https://getakka.net/articles/networking/serialization.html.
    /// </summary>
    public void ActorRef(IActorRef actor) =>
        String(Akka.Serialization.Serialization.SerializedActorPath(NotNull(actor)));

    private bool Reserve(int count, out Span<byte> span)
    {
        if (count > int.MaxValue - _position) throw WireErrors.TooLarge(_manifest);
        var start = _position;
        _position += count;
        span = _measuring ? default : _buffer.Slice(start, count);
        return !_measuring;
    }

    private readonly TValue NotNull<TValue>(TValue? value) =>
        value ?? throw new SerializationException(
            $"ActorNet wire: cannot write '{_manifest}': a field that the format requires is null (at byte offset {_position}).");
}

/// <summary>Writes one message (or nested record) body; see <see cref="MessageRegistry"/>.</summary>
internal delegate void BodyWriter<in TMessage>(ref WireWriter writer, TMessage message);

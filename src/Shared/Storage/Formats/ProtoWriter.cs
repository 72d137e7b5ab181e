using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using ActorNet.Serialization;

namespace ActorNet.Formats;

/// <summary>
/// Writes one stored record in the Protocol Buffers wire format (proto3: varint, fixed64 and
/// length-delimited fields, repeated numbers packed), field by field, as
/// <see cref="StoredFormats"/>' schemas say. Like the wire serializer's writer it runs twice over
/// a record, first measuring, then into a byte[] of exactly that size, so that a checkpoint's
/// arrays are copied once, each as one block, straight into the result.
/// <para>
/// Every field is written, defaults included (proto3 encoders may leave zeros out; we do not, so
/// that a reader can tell a missing field from a zero), except the ones a schema calls optional.
/// </para>
/// </summary>
internal ref struct ProtoWriter
{
    private readonly Span<byte> _buffer;
    private readonly bool _measuring;
    private readonly string _kind;
    private int _position;

    private ProtoWriter(Span<byte> buffer, bool measuring, string kind)
    {
        _buffer = buffer;
        _measuring = measuring;
        _kind = kind;
        _position = 0;
    }

    /// <summary>A writer that stores nothing and only adds up <see cref="Position"/>.</summary>
    public static ProtoWriter Measuring(string kind) => new(default, true, kind);

    /// <summary>A writer into <paramref name="buffer"/>, which must be exactly as large as measured.</summary>
    public static ProtoWriter Into(Span<byte> buffer, string kind) => new(buffer, false, kind);

    /// <summary>Bytes written (or counted) so far.</summary>
    public readonly int Position => _position;

    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    /// <summary>As protobuf's int32: a negative value takes ten bytes, sign-extended.</summary>
    public void Int32(int field, int value) => Int64(field, value);

    /// <summary>The enum's int32 value.</summary>
    public void Enum<TEnum>(int field, TEnum value) where TEnum : unmanaged, Enum => Int32(field, Endian.EnumToInt32(value));

    /// <summary>fixed64, the IEEE bits as they are (NaN payloads and signed zeros included).</summary>
    public void Double(int field, double value)
    {
        Tag(field, WireType.Fixed64);
        if (Reserve(sizeof(double), out var span)) BinaryPrimitives.WriteDoubleLittleEndian(span, value);
    }

    /// <summary>16 bytes in RFC 4122 order, the order its text reads in (not .NET's mixed-endian layout).</summary>
    public void Guid(int field, Guid value)
    {
        Tag(field, WireType.Length);
        Varint(16);
        if (Reserve(16, out var span)) value.TryWriteBytes(span, bigEndian: true, out _);
    }

    public void String(int field, string value)
    {
        NotNull(value, field);
        var count = Encoding.UTF8.GetByteCount(value);
        Tag(field, WireType.Length);
        Varint((uint)count);
        if (Reserve(count, out var span)) Encoding.UTF8.GetBytes(value, span);
    }

    /// <summary>Written only when present: an optional field.</summary>
    public void OptionalString(int field, string? value)
    {
        if (value is not null) String(field, value);
    }

    /// <summary>One field per item (protobuf's repeated string).</summary>
    public void Strings(int field, IReadOnlyList<string> values)
    {
        NotNull(values, field);
        for (var i = 0; i < values.Count; i++) String(field, values[i]);
    }

    /// <summary>
    /// A packed repeated float or double: the byte count, then the values as one little-endian
    /// block, copied as they lie in memory (swapped after the copy on a big-endian machine). Empty
    /// arrays are written too (a zero length), so that a reader can tell them from a missing field.
    /// </summary>
    public void Packed<T>(int field, T[] values) where T : unmanaged, INumberBase<T>
    {
        NotNull(values, field);
        var source = MemoryMarshal.AsBytes(values.AsSpan());
        Tag(field, WireType.Length);
        Varint((uint)source.Length);
        if (!Reserve(source.Length, out var span)) return;
        source.CopyTo(span);
        Endian.ToLittle<T>(span);
    }

    /// <summary>A nested message: its length, then its fields. The body is written once to
    /// measure it and once for real; nested records are small (a checkpoint's arrays go through
    /// <see cref="Packed{T}"/> inside a one-field message, whose length <see cref="PackedMessage{T}"/> knows).</summary>
    public void Message<TValue>(int field, TValue value, ProtoBodyWriter<TValue> write)
    {
        NotNull(value, field);
        var measuring = Measuring(_kind);
        write(ref measuring, value);
        Tag(field, WireType.Length);
        Varint((uint)measuring.Position);
        if (_measuring)
        {
            Reserve(measuring.Position, out _);
            return;
        }
        var start = _position;
        var inner = Into(_buffer.Slice(start, measuring.Position), _kind);
        write(ref inner, value);
        _position += measuring.Position;
    }

    /// <summary>One nested message per item (protobuf's repeated message).</summary>
    public void Messages<TValue>(int field, IReadOnlyList<TValue> values, ProtoBodyWriter<TValue> write)
    {
        NotNull(values, field);
        for (var i = 0; i < values.Count; i++) Message(field, values[i], write);
    }

    /// <summary>
    /// One message per array, each holding the array as its field 1 (packed): a jagged array such as
    /// a checkpoint's per-layer parameters. Its length is computed, not measured, so that a
    /// 40 MB layer is never walked twice.
    /// </summary>
    public void PackedMessages<T>(int field, T[][] rows) where T : unmanaged, INumberBase<T>
    {
        NotNull(rows, field);
        foreach (var row in rows) PackedMessage(field, NotNull(row, field));
    }

    private void PackedMessage<T>(int field, T[] values) where T : unmanaged, INumberBase<T>
    {
        var bytes = (long)values.Length * Unsafe.SizeOf<T>();
        if (bytes > int.MaxValue) throw TooLarge();
        Tag(field, WireType.Length);
        Varint((ulong)(1 + VarintSize((ulong)bytes) + bytes));
        Packed(1, values);
    }

    private void Tag(int field, WireType type) => Varint((uint)(field << 3) | (uint)type);

    private void Varint(ulong value)
    {
        var size = VarintSize(value);
        if (!Reserve(size, out var span)) return;
        for (var i = 0; i < size - 1; i++)
        {
            span[i] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[size - 1] = (byte)value;
    }

    private static int VarintSize(ulong value) => Math.Max(1, (64 - BitOperations.LeadingZeroCount(value) + 6) / 7);

    private bool Reserve(int count, out Span<byte> span)
    {
        if (count > int.MaxValue - _position) throw TooLarge();
        var start = _position;
        _position += count;
        span = _measuring ? default : _buffer.Slice(start, count);
        return !_measuring;
    }

    private readonly SerializationException TooLarge() => new($"ActorNet stored record: cannot write '{_kind}': it is larger than 2 GiB.");

    private readonly TValue NotNull<TValue>(TValue? value, int field) =>
        value ?? throw new SerializationException($"ActorNet stored record: cannot write '{_kind}': field {field}, which the schema requires, is null.");
}

/// <summary>Protocol Buffers wire types (https://protobuf.dev/programming-guides/encoding/): the
/// schemas write the first three; fixed32 is here so that a reader can skip such an unknown field.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    Length = 2,
    Fixed32 = 5,
}

/// <summary>Writes one stored record (or nested message) body.</summary>
internal delegate void ProtoBodyWriter<in TValue>(ref ProtoWriter writer, TValue value);

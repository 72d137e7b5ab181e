using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ActorNet.Serialization;

namespace ActorNet.Formats;

/// <summary>
/// Reads one stored record written in the Protocol Buffers wire format (see <see cref="ProtoWriter"/>).
/// A schema's reader loops over <see cref="Next"/>, reads the fields it knows and
/// <see cref="Skip"/>s the others: a field added by a newer writer is passed over, as protobuf
/// readers do, so adding a field never needs a new schema version. Every length is checked
/// against the bytes that remain before anything is allocated, so corrupt bytes end in a
/// <see cref="StoredErrors"/> exception naming the record kind, its schema version and the byte
/// offset, never in IndexOutOfRange or a huge allocation.
/// </summary>
internal ref struct ProtoReader
{
    // Throws on invalid UTF-8 instead of inventing U+FFFD: corrupt text is refused like any other corruption.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _kind;
    private readonly int _version;
    private readonly int _base; // offset of _data in the whole payload, for messages
    private int _position;
    private int _field;
    private WireType _type;
    private ulong _seen; // bit n: field n (below 64) was read

    public ProtoReader(ReadOnlySpan<byte> data, string kind, int version) : this(data, kind, version, 0)
    {
    }

    private ProtoReader(ReadOnlySpan<byte> data, string kind, int version, int offset)
    {
        _data = data;
        _kind = kind;
        _version = version;
        _base = offset;
        _position = 0;
        _field = 0;
        _type = WireType.Varint;
        _seen = 0;
    }

    private readonly int Offset => _base + _position;

    /// <summary>Moves to the next field; false at the end of the record (or nested message).</summary>
    public bool Next(out int field)
    {
        field = 0;
        if (_position == _data.Length) return false;
        var offset = Offset;
        var tag = Varint();
        var number = tag >> 3;
        var type = (WireType)(tag & 7);
        if (number is 0 or > 536_870_911) throw StoredErrors.BadValue(_kind, _version, offset, $"field number {number}");
        if (type is not (WireType.Varint or WireType.Fixed64 or WireType.Length or WireType.Fixed32))
            throw StoredErrors.BadValue(_kind, _version, offset, $"wire type {(int)type} of field {number} (groups are not used)");
        field = _field = (int)number;
        _type = type;
        if (number < 64) _seen |= 1UL << (int)number;
        return true;
    }

    /// <summary>Passes over the current field, whatever it holds: a field this reader does not know.</summary>
    public void Skip()
    {
        switch (_type)
        {
            case WireType.Varint: Varint(); break;
            case WireType.Fixed64: Take(sizeof(long)); break;
            case WireType.Fixed32: Take(sizeof(int)); break;
            default: Take(Length()); break;
        }
    }

    /// <summary>After the fields: each field of <paramref name="fields"/> (numbers below 64) must have been there.</summary>
    public readonly void Require(params ReadOnlySpan<int> fields)
    {
        foreach (var f in fields)
            if ((_seen & (1UL << f)) == 0) throw StoredErrors.MissingField(_kind, _version, f, _base);
    }

    public long Int64()
    {
        Expect(WireType.Varint);
        return (long)Varint();
    }

    public int Int32()
    {
        var offset = Offset;
        var value = Int64();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw StoredErrors.BadValue(_kind, _version, offset, $"{value} in field {_field}, which is an int32");
    }

    /// <summary>An int32 that must be one of <typeparamref name="TEnum"/>'s named values.</summary>
    public TEnum Enum<TEnum>() where TEnum : unmanaged, Enum
    {
        var offset = Offset;
        var value = Endian.Int32ToEnum<TEnum>(Int32());
        return System.Enum.IsDefined(value)
            ? value
            : throw StoredErrors.BadValue(_kind, _version, offset, $"{Endian.EnumToInt32(value)} in field {_field}, which is not a {typeof(TEnum).Name}");
    }

    public double Double()
    {
        Expect(WireType.Fixed64);
        return BinaryPrimitives.ReadDoubleLittleEndian(Take(sizeof(double)));
    }

    /// <summary>16 bytes, RFC 4122 order.</summary>
    public Guid Guid()
    {
        Expect(WireType.Length);
        var offset = Offset;
        var length = Length();
        if (length != 16) throw StoredErrors.BadValue(_kind, _version, offset, $"a {length}-byte id in field {_field} (ids take 16)");
        return new Guid(Take(16), bigEndian: true);
    }

    public string String()
    {
        Expect(WireType.Length);
        var offset = Offset;
        var bytes = Take(Length());
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw StoredErrors.BadValue(_kind, _version, offset, $"field {_field}, a string that is not valid UTF-8");
        }
    }

    /// <summary>
    /// A packed repeated float or double: one block copy into an array allocated without zeroing
    /// (every element is overwritten at once), so that a checkpoint's 40 MB layer costs one
    /// allocation and one memcpy.
    /// </summary>
    public T[] Packed<T>() where T : unmanaged, INumberBase<T>
    {
        Expect(WireType.Length);
        var offset = Offset;
        var length = Length();
        if (length % Unsafe.SizeOf<T>() != 0)
            throw StoredErrors.BadValue(_kind, _version, offset, $"{length} bytes in field {_field}, not a whole number of {Unsafe.SizeOf<T>()}-byte values");
        var source = Take(length);
        var result = GC.AllocateUninitializedArray<T>(length / Unsafe.SizeOf<T>());
        HugePages.Advise(result); // checkpoints: see HugePages
        source.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        Endian.FromLittle<T>(result);
        return result;
    }

    /// <summary>A nested message, read by <paramref name="read"/> from its own bytes.</summary>
    public TValue Message<TValue>(ProtoBodyReader<TValue> read)
    {
        Expect(WireType.Length);
        var length = Length();
        var start = Offset;
        var inner = new ProtoReader(Take(length), _kind, _version, start);
        return read(ref inner);
    }

    private readonly void Expect(WireType type)
    {
        if (_type != type)
            throw StoredErrors.BadValue(_kind, _version, Offset, $"field {_field} with wire type {(int)_type}, where the schema has {(int)type}");
    }

    /// <summary>A length-delimited field's byte count, which must fit in what remains.</summary>
    private int Length()
    {
        var offset = Offset;
        var length = Varint();
        if (length > (ulong)(_data.Length - _position))
            throw StoredErrors.Truncated(_kind, _version, offset, length, _data.Length - _position);
        return (int)length;
    }

    private ulong Varint()
    {
        var offset = Offset;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position == _data.Length) throw StoredErrors.Truncated(_kind, _version, offset, 1, 0);
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw StoredErrors.BadValue(_kind, _version, offset, "a varint longer than 10 bytes");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position) throw StoredErrors.Truncated(_kind, _version, Offset, (ulong)count, _data.Length - _position);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>Reads one stored record (or nested message) body.</summary>
internal delegate TValue ProtoBodyReader<out TValue>(ref ProtoReader reader);

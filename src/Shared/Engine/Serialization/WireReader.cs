using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;

namespace ActorNet.Serialization;

/// <summary>
/// Reads one message body written by <see cref="WireWriter"/>. Every read checks the bytes that
/// remain first and every length is checked against them before anything is allocated, so a
/// truncated, corrupt or hostile payload ends in <see cref="WireErrors"/>' SerializationException
/// (naming the manifest and the byte offset), never in IndexOutOfRange or a huge allocation.
/// Allocates nothing but the decoded values themselves.
/// </summary>
internal ref struct WireReader
{
    // Throws on invalid UTF-8 instead of inventing U+FFFD: corrupt text is refused like any other corruption.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _manifest;
    private readonly ExtendedActorSystem? _system;
    private int _position;

    /// <param name="system">resolves actor paths; without it, reading an IActorRef is refused</param>
    public WireReader(ReadOnlySpan<byte> data, string manifest, ExtendedActorSystem? system)
    {
        _data = data;
        _manifest = manifest;
        _system = system;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public byte Byte() => Take(1)[0];

    public bool Bool()
    {
        var offset = _position;
        return Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw WireErrors.BadValue(_manifest, offset, $"boolean byte {b} (only 0 and 1 are valid)"),
        };
    }

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(sizeof(int)));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(sizeof(long)));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(sizeof(double)));

    public Guid Guid() => new(Take(16));

    /// <summary>An int32 that must be one of <typeparamref name="TEnum"/>'s named values.</summary>
    public TEnum Enum<TEnum>() where TEnum : unmanaged, Enum
    {
        var offset = _position;
        var value = Endian.Int32ToEnum<TEnum>(Int32());
        return System.Enum.IsDefined(value)
            ? value
            : throw WireErrors.BadValue(_manifest, offset, $"value {Endian.EnumToInt32(value)} that is not a {typeof(TEnum).Name}");
    }

    /// <summary>A presence flag, then the string.</summary>
    public string? NullableString() => Bool() ? String() : null;

    public string String()
    {
        var offset = _position;
        var bytes = Take(Length(sizeof(byte)));
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw WireErrors.BadValue(_manifest, offset, "a string that is not valid UTF-8");
        }
    }

    /// <summary>
    /// One block copy into an array allocated without zeroing (every element is overwritten at
    /// once), so that decoding a large gradient costs one allocation and one memcpy.
    /// </summary>
    public T[] Array<T>() where T : unmanaged, INumberBase<T> => ArrayInto(length =>
    {
        var result = GC.AllocateUninitializedArray<T>(length);
        HugePages.Advise(result); // checkpoints: see HugePages
        return result;
    });

    public T[]? NullableArray<T>() where T : unmanaged, INumberBase<T> => Bool() ? Array<T>() : null;

    /// <summary><see cref="Array{T}"/> into an array rented from <see cref="Training.BufferPool{T}"/>,
    /// for messages that hand their arrays over (their receiver returns it).</summary>
    public T[] PooledArray<T>() where T : unmanaged, INumberBase<T> => ArrayInto(length => Training.BufferPool<T>.Rent(length, clear: false));

    /// <summary>A count, then that many values into the array <paramref name="allocate"/> gives for the count.</summary>
    private T[] ArrayInto<T>(Func<int, T[]> allocate) where T : unmanaged, INumberBase<T>
    {
        var length = Length(Unsafe.SizeOf<T>());
        var source = Take(length * Unsafe.SizeOf<T>());
        var result = allocate(length);
        source.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        Endian.FromLittle<T>(result);
        return result;
    }

    public T[][] Jagged<T>() where T : unmanaged, INumberBase<T>
    {
        // Each row costs at least its 4-byte length prefix: that bounds the row count.
        var rows = new T[Length(sizeof(int))][];
        for (var i = 0; i < rows.Length; i++) rows[i] = Array<T>();
        return rows;
    }

    /// <param name="minimumItemSize">fewest bytes one item can take: bounds the count before allocating</param>
    public TItem[] List<TItem>(BodyReader<TItem> read, int minimumItemSize)
    {
        var items = new TItem[Length(minimumItemSize)];
        for (var i = 0; i < items.Length; i++) items[i] = read(ref this);
        return items;
    }

    /// <summary>
    /// Resolved by the local actor-ref provider, as Akka.NET's own serializers do
    /// (https://getakka.net/articles/networking/serialization.html, "Serializing ActorRefs"): a
    /// path that names no live actor resolves to dead letters, as Akka.NET does everywhere.
    /// </summary>
    public IActorRef ActorRef()
    {
        var offset = _position;
        var path = String();
        if (_system is null) throw WireErrors.BadValue(_manifest, offset, "an actor reference, but no actor system to resolve it in");
        try
        {
            return _system.Provider.ResolveActorRef(path);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or UriFormatException)
        {
            throw WireErrors.BadValue(_manifest, offset, $"an actor path that does not parse ({e.Message})");
        }
    }

    /// <summary>After the body: nothing may be left over (a longer payload is corrupt or another format).</summary>
    public readonly void ExpectEnd()
    {
        if (Remaining != 0) throw WireErrors.TrailingBytes(_manifest, _position, Remaining);
    }

    /// <summary>A non-negative int32 count of items that each take at least <paramref name="elementSize"/> bytes.</summary>
    private int Length(int elementSize)
    {
        var offset = _position;
        var length = Int32();
        // Unsigned compare: a negative length fails too. Division, not multiplication, cannot overflow.
        if ((uint)length > (uint)(Remaining / elementSize))
            throw WireErrors.BadLength(_manifest, offset, length, elementSize, Remaining);
        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining) throw WireErrors.Truncated(_manifest, _position, count, Remaining);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>Reads one message (or nested record) body; see <see cref="MessageRegistry"/>.</summary>
internal delegate TMessage BodyReader<out TMessage>(ref WireReader reader);

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActorNet.Serialization;

/// <summary>
/// The wire is little-endian. Numeric blocks are copied as the machine stores them, then swapped
/// in place on a big-endian machine; <see cref="BitConverter.IsLittleEndian"/> is a JIT-time
/// constant, so on little-endian machines (all that ActorNet runs on today) these calls vanish.
/// </summary>
internal static class Endian
{
    public static void ToLittle<T>(Span<byte> block) where T : unmanaged, INumberBase<T>
    {
        if (BitConverter.IsLittleEndian) return;
        Swap(block, Unsafe.SizeOf<T>());
    }

    public static void FromLittle<T>(Span<T> values) where T : unmanaged, INumberBase<T>
    {
        if (BitConverter.IsLittleEndian) return;
        Swap(MemoryMarshal.AsBytes(values), Unsafe.SizeOf<T>());
    }

    /// <summary>Enums on the wire are int32; only int-backed enums may travel.</summary>
    public static int EnumToInt32<TEnum>(TEnum value) where TEnum : unmanaged, Enum =>
        Unsafe.SizeOf<TEnum>() == sizeof(int)
            ? Unsafe.As<TEnum, int>(ref value)
            : throw new NotSupportedException($"{typeof(TEnum)} is not int-backed; the ActorNet wire carries enums as int32.");

    public static TEnum Int32ToEnum<TEnum>(int value) where TEnum : unmanaged, Enum =>
        Unsafe.SizeOf<TEnum>() == sizeof(int)
            ? Unsafe.As<int, TEnum>(ref value)
            : throw new NotSupportedException($"{typeof(TEnum)} is not int-backed; the ActorNet wire carries enums as int32.");

    private static void Swap(Span<byte> block, int elementSize)
    {
        switch (elementSize)
        {
            case 1: return;
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, short>(block), MemoryMarshal.Cast<byte, short>(block)); return;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(block), MemoryMarshal.Cast<byte, int>(block)); return;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(block), MemoryMarshal.Cast<byte, long>(block)); return;
            default: throw new NotSupportedException($"No byte order for {elementSize}-byte numbers on the ActorNet wire.");
        }
    }
}

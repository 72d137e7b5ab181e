using System.Buffers.Binary;
using System.IO.Compression;

namespace ActorNet.Data;

/// <summary>
/// Reading a data file whole, with the operating system's errors (missing file, no permission)
/// turned into <see cref="DataFormatException"/>s that name the path, and gzip undone when the
/// content starts with the gzip magic 1f 8b (RFC 1952, section 2.3.1) whatever the file's name.
/// </summary>
internal static class DataFile
{
    /// <summary>The bytes of a file, unzipped if it is gzip; <paramref name="unzipped"/> tells
    /// whether offsets in it are those of the decompressed data.</summary>
    public static ArraySegment<byte> ReadBytes(string path, out bool unzipped)
    {
        var raw = Open(path, File.ReadAllBytes);
        unzipped = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        return unzipped ? Gunzip(path, raw) : new ArraySegment<byte>(raw);
    }

    /// <summary>Runs a file operation, naming the path in whatever goes wrong with the file.</summary>
    public static T Open<T>(string path, Func<string, T> operation)
    {
        try
        {
            return operation(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFormatException(path, "no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    private static ArraySegment<byte> Gunzip(string path, byte[] compressed)
    {
        try
        {
            using var output = new MemoryStream(SizeHint(compressed));
            using (var gzip = new GZipStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress))
                gzip.CopyTo(output);
            return output.TryGetBuffer(out var buffer) ? buffer : new ArraySegment<byte>(output.ToArray());
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new DataFormatException(path, $"starts like gzip (1f 8b) but cannot be unzipped: {e.Message}", e);
        }
    }

    /// <summary>The uncompressed size from the gzip trailer (ISIZE, the last four bytes, little
    /// endian, modulo 2^32), to allocate the output once; only a hint, as a truncated or
    /// multi-member file may carry a wrong one.</summary>
    private static int SizeHint(byte[] compressed)
    {
        if (compressed.Length < 18) return 0;
        var size = BinaryPrimitives.ReadUInt32LittleEndian(compressed.AsSpan(compressed.Length - 4));
        return size <= 1u << 30 ? (int)size : 0;
    }
}

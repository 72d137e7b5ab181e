using System.Buffers.Binary;
using System.IO.Compression;

namespace ActorNet.Tests;

/// <summary>A fresh directory for one test's files (and the nodes it starts), deleted on Dispose, which xunit calls also
/// when the test fails.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(PathName);

    public string PathName { get; } = Path.Combine(Path.GetTempPath(), "actornet-test-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => Path.Combine(PathName, name);

    public string WriteBytes(string name, byte[] bytes, bool gzip = false)
    {
        var path = File(name);
        System.IO.File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        return path;
    }

    public string WriteText(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>An IDX file as on LeCun's MNIST page: 0, 0, type, dimension count, then the
    /// sizes as big-endian int32, then the data.</summary>
    public static byte[] Idx(int[] dimensions, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    public void Dispose()
    {
        if (Directory.Exists(PathName)) Directory.Delete(PathName, recursive: true);
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>A file's size and SHA-256, lowercase hex.</summary>
public sealed record FileFingerprint(long Size, string Sha256Hex);

/// <summary>
/// Fingerprints for checking that two machines hold the same data: a worker compares its
/// fingerprint with the coordinator's before training on its shard.
/// </summary>
public static class DataFingerprint
{
    /// <summary>Size and SHA-256 of the file's bytes as stored (a gzipped file is hashed zipped).</summary>
    public static FileFingerprint OfFile(string path) => DataFile.Open(path, p =>
    {
        using var stream = File.OpenRead(p);
        return new FileFingerprint(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    });

    /// <summary>
    /// SHA-256, lowercase hex, of the set's content, independent of the machine's byte order
    /// and of the set's name and class names: the int32 little-endian words Count, FeatureCount,
    /// Classes (0 without labels), TargetWidth (0 without targets); then the features as float32
    /// little-endian; then the labels as int32 little-endian, if any; then the targets as float32
    /// little-endian, if any. Equal values bit for bit give equal fingerprints.
    /// <para>A float64 set (a float64 run's) hashes the same way with its features and targets as
    /// float64 little-endian instead: the values it trains on, not float32 roundings of them. Its
    /// fingerprint is never a float32 set's, as every feature takes 8 bytes rather than 4.</para>
    /// </summary>
    public static string OfDataSet(DataSet data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<int> shape = [data.Count, data.FeatureCount, data.Classes, data.TargetWidth];
        AppendLittleEndian(hash, shape);
        if (data.Precision == Precision.Float64)
        {
            if (!data.IsBytes) AppendLittleEndian(hash, MemoryMarshal.Cast<double, long>(data.Features64.AsSpan()));
            else
            {
                var row = new double[data.FeatureCount];
                for (var r = 0; r < data.Count; r++)
                {
                    data.CopyRow<double>(r, row);
                    AppendLittleEndian(hash, MemoryMarshal.Cast<double, long>(row.AsSpan()));
                }
            }
            if (data.Labels is not null) AppendLittleEndian(hash, data.Labels);
            if (data.Targets64 is { } targets) AppendLittleEndian(hash, MemoryMarshal.Cast<double, long>(targets.AsSpan()));
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        if (!data.IsBytes) AppendLittleEndian(hash, MemoryMarshal.Cast<float, int>(data.Features.AsSpan()));
        else
        {
            // The floats the bytes stand for, row by row: the same fingerprint as the same values held as floats.
            var row = new float[data.FeatureCount];
            for (var r = 0; r < data.Count; r++)
            {
                data.CopyRow<float>(r, row);
                AppendLittleEndian(hash, MemoryMarshal.Cast<float, int>(row.AsSpan()));
            }
        }
        if (data.Labels is not null) AppendLittleEndian(hash, data.Labels);
        if (data.Targets is not null) AppendLittleEndian(hash, MemoryMarshal.Cast<float, int>(data.Targets.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Hashes 32-bit words as little-endian bytes, in chunks so that a big-endian machine
    /// needs no copy of the whole array.</summary>
    private static void AppendLittleEndian(IncrementalHash hash, ReadOnlySpan<int> words)
    {
        if (BitConverter.IsLittleEndian)
        {
            hash.AppendData(MemoryMarshal.AsBytes(words));
            return;
        }
        Span<int> chunk = stackalloc int[256];
        for (var start = 0; start < words.Length; start += chunk.Length)
        {
            var part = words.Slice(start, Math.Min(chunk.Length, words.Length - start));
            BinaryPrimitives.ReverseEndianness(part, chunk);
            hash.AppendData(MemoryMarshal.AsBytes(chunk[..part.Length]));
        }
    }

    /// <summary>Hashes 64-bit words as little-endian bytes, as the 32-bit overload does.</summary>
    private static void AppendLittleEndian(IncrementalHash hash, ReadOnlySpan<long> words)
    {
        if (BitConverter.IsLittleEndian)
        {
            hash.AppendData(MemoryMarshal.AsBytes(words));
            return;
        }
        Span<long> chunk = stackalloc long[128];
        for (var start = 0; start < words.Length; start += chunk.Length)
        {
            var part = words.Slice(start, Math.Min(chunk.Length, words.Length - start));
            BinaryPrimitives.ReverseEndianness(part, chunk);
            hash.AppendData(MemoryMarshal.AsBytes(chunk[..part.Length]));
        }
    }
}

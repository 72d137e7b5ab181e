using ActorNet.Data;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class DataFingerprintTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void File_fingerprint_is_size_and_sha256()
    {
        var path = _dir.WriteText("abc.txt", "abc");
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        Assert.Equal(new FileFingerprint(3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), DataFingerprint.OfFile(path));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var missing = _dir.File("gone");
        Assert.Equal($"{missing}: no such file", Assert.Throws<DataFormatException>(() => DataFingerprint.OfFile(missing)).Message);
    }

    [Fact]
    public void Data_set_fingerprint_follows_the_content_not_the_name()
    {
        var a = Synthetic.Circles(100, seed: 1);
        var same = new DataSet("other name", a.Features.ToArray(), 2, a.Labels!.ToArray(), 2);
        Assert.Equal(DataFingerprint.OfDataSet(a), DataFingerprint.OfDataSet(same));
        Assert.Matches("^[0-9a-f]{64}$", DataFingerprint.OfDataSet(a));

        var features = a.Features.ToArray();
        features[17] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(features[17]) ^ 1);
        Assert.NotEqual(DataFingerprint.OfDataSet(a), DataFingerprint.OfDataSet(new DataSet("x", features, 2, a.Labels!, 2)));
        var labels = a.Labels!.ToArray();
        labels[0] ^= 1;
        Assert.NotEqual(DataFingerprint.OfDataSet(a), DataFingerprint.OfDataSet(new DataSet("x", a.Features, 2, labels, 2)));
    }

    [Fact]
    public void Shape_is_part_of_the_fingerprint()
    {
        float[] x = [1, 2, 3, 4];
        var wide = new DataSet("w", x, 4, [0], 1);
        var tall = new DataSet("t", x, 2, [0, 0], 1);
        Assert.NotEqual(DataFingerprint.OfDataSet(wide), DataFingerprint.OfDataSet(tall));
    }

    [Fact]
    public void Data_set_fingerprint_is_the_documented_byte_layout()
    {
        var data = new DataSet("d", [1.5f], 1, [0], 2);
        var bytes = new List<byte>();
        foreach (var word in new[] { 1, 1, 2, 0 }) bytes.AddRange(LittleEndian(word));
        bytes.AddRange(LittleEndian(BitConverter.SingleToInt32Bits(1.5f)));
        bytes.AddRange(LittleEndian(0));
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.ToArray()));
        Assert.Equal(expected, DataFingerprint.OfDataSet(data));
    }

    [Fact]
    public void A_float64_set_s_fingerprint_hashes_its_doubles_in_the_same_layout()
    {
        var data = DataSet.FromDoubles("d", [0.1], 1, [0], 2);
        var bytes = new List<byte>();
        foreach (var word in new[] { 1, 1, 2, 0 }) bytes.AddRange(LittleEndian(word));
        var value = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(value, 0.1);
        bytes.AddRange(value);
        bytes.AddRange(LittleEndian(0));
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.ToArray()));
        Assert.Equal(expected, DataFingerprint.OfDataSet(data));
        // The same set of bytes in either precision: one fingerprint per precision, each that of its numbers.
        var floats = new DataSet("f", [1.5f, 2f], 1, [0, 1], 2);
        Assert.NotEqual(DataFingerprint.OfDataSet(floats), DataFingerprint.OfDataSet(floats.ToPrecision(ActorNet.Model.Precision.Float64)));
        var pixels = new DataSet("p", [0, 255], Enumerable.Range(0, 256).Select(v => v / 255.0).ToArray(), 1, [0, 1], 2);
        Assert.Equal(DataFingerprint.OfDataSet(DataSet.FromDoubles("p", [0, 1], 1, [0, 1], 2)), DataFingerprint.OfDataSet(pixels));
    }

    private static byte[] LittleEndian(int value)
    {
        var b = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return b;
    }
}

using ActorNet.Data;
using ActorNet.Model;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Three 2×3 images whose pixels are their own index, labels 2, 0, 1.</summary>
    private static readonly byte[] Pixels = Enumerable.Range(0, 18).Select(i => (byte)(i * 14)).ToArray();
    private static readonly byte[] LabelBytes = [2, 0, 1];

    private (string Images, string Labels) WriteValid(bool gzip, string prefix = "")
    {
        var images = _dir.WriteBytes(prefix + "images.idx3", TempDirectory.Idx([3, 2, 3], Pixels), gzip);
        var labels = _dir.WriteBytes(prefix + "labels.idx1", TempDirectory.Idx([3], LabelBytes), gzip);
        return (images, labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_raw_and_gzipped(bool gzip)
    {
        var (images, labels) = WriteValid(gzip);
        var data = Idx.LoadImagesAndLabels(images, labels, "tiny");
        Assert.Equal("tiny", data.Name);
        Assert.Equal(3, data.Count);
        Assert.Equal(6, data.FeatureCount);
        Assert.Equal(Pixels.Select(p => (float)p), data.Features);
        Assert.Equal(LabelBytes.Select(b => (int)b), data.Labels!);
        Assert.Equal(3, data.Classes);
    }

    [Fact]
    public void A_float64_read_keeps_the_bytes_and_decodes_them_to_double_also_once_scaled()
    {
        var (images, labels) = WriteValid(gzip: true);
        var data = Idx.LoadImagesAndLabels(images, labels, "tiny", precision: Precision.Float64);
        Assert.Equal(Precision.Float64, data.Precision);
        Assert.True(data.IsBytes); // a byte per pixel still, not eight
        Assert.Equal(Pixels.Select(p => (double)p), data.Features64);

        // Pixels over the largest (238), computed and kept in double: p / 238.0, which float32 would round.
        var scaled = Scaler.Fit(data, ScalingKind.UnitRange).Apply(data);
        Assert.True(scaled.IsBytes);
        var row = new double[6];
        scaled.CopyRow<double>(2, row);
        Assert.Equal(Pixels[12..18].Select(p => p / 238.0), row);
        Assert.NotEqual(Pixels[12..18].Select(p => (double)(float)(p / 238.0)), row);

        var dir = _dir.PathName;
        _dir.WriteBytes("train-images-idx3-ubyte", TempDirectory.Idx([3, 2, 3], Pixels));
        _dir.WriteBytes("train-labels-idx1-ubyte", TempDirectory.Idx([3], LabelBytes));
        _dir.WriteBytes("t10k-images-idx3-ubyte", TempDirectory.Idx([1, 2, 3], Pixels[..6]));
        _dir.WriteBytes("t10k-labels-idx1-ubyte", TempDirectory.Idx([1], [9]));
        var (train, test) = Idx.LoadMnistDirectory(dir, Precision.Float64);
        Assert.Equal((Precision.Float64, Precision.Float64), (train.Precision, test.Precision));
        Assert.Equal(Precision.Float32, Idx.LoadMnistDirectory(dir).Train.Precision); // the default, and a float32 run's
    }

    [Fact]
    public void Gzip_is_detected_by_content_not_name()
    {
        var images = _dir.WriteBytes("images.raw", TempDirectory.Idx([3, 2, 3], Pixels), gzip: true);
        var labels = _dir.WriteBytes("labels.gz", TempDirectory.Idx([3], LabelBytes), gzip: false);
        Assert.Equal(3, Idx.LoadImagesAndLabels(images, labels, "t").Count);
    }

    [Fact]
    public void Given_class_count_is_kept_and_enforced()
    {
        var (images, labels) = WriteValid(false);
        Assert.Equal(10, Idx.LoadImagesAndLabels(images, labels, "t", classes: 10).Classes);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t", classes: 2));
        Assert.Contains(labels, e.Message);
        Assert.Contains("byte 8:", e.Message); // header 8 bytes, the first label (2) is out of [0, 2)
    }

    [Fact]
    public void Reads_a_directory_of_the_four_standard_files_raw_or_gzipped()
    {
        _dir.WriteBytes("train-images-idx3-ubyte.gz", TempDirectory.Idx([3, 2, 3], Pixels), gzip: true);
        _dir.WriteBytes("train-labels-idx1-ubyte", TempDirectory.Idx([3], LabelBytes));
        _dir.WriteBytes("t10k-images-idx3-ubyte", TempDirectory.Idx([1, 2, 3], Pixels[..6]));
        _dir.WriteBytes("t10k-labels-idx1-ubyte.gz", TempDirectory.Idx([1], [9]), gzip: true);
        var (train, test) = Idx.LoadMnistDirectory(_dir.PathName);
        Assert.Equal((3, 6, 10), (train.Count, train.FeatureCount, train.Classes));
        Assert.Equal((1, 6, 10), (test.Count, test.FeatureCount, test.Classes));
        Assert.Equal(9, test.Labels![0]);
    }

    [Fact]
    public void Directory_missing_a_file_names_the_file()
    {
        _dir.WriteBytes("train-images-idx3-ubyte", TempDirectory.Idx([3, 2, 3], Pixels));
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadMnistDirectory(_dir.PathName));
        Assert.Contains(_dir.PathName, e.Message);
        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message);
    }

    [Fact]
    public void Missing_directory_names_it()
    {
        var missing = _dir.File("nowhere");
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadMnistDirectory(missing));
        Assert.StartsWith(missing + ": no such directory", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var (images, _) = WriteValid(false);
        var missing = _dir.File("no-labels.idx1");
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, missing, "t"));
        Assert.Equal($"{missing}: no such file", e.Message);
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }

    [Fact]
    public void A_directory_instead_of_a_file_names_the_path()
    {
        var (_, labels) = WriteValid(false);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(_dir.PathName, labels, "t"));
        Assert.StartsWith($"{_dir.PathName}: cannot be read", e.Message);
    }

    [Fact]
    public void Class_count_must_be_positive()
    {
        var (images, labels) = WriteValid(false);
        Assert.Throws<ArgumentOutOfRangeException>(() => Idx.LoadImagesAndLabels(images, labels, "t", classes: 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Empty_file(bool gzip)
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("empty", [], gzip);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith(images + ": ", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(2, "inside the 4-byte IDX magic")]
    [InlineData(9, "inside the 16-byte header")]
    [InlineData(16 + 17, "truncated")]
    public void Truncated_images(int keep, string expected)
    {
        var (_, labels) = WriteValid(false);
        var whole = TempDirectory.Idx([3, 2, 3], Pixels);
        var images = _dir.WriteBytes("cut", whole[..keep]);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith($"{images}: byte {keep}: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Truncated_gzip_is_reported_as_truncated_at_an_unzipped_offset()
    {
        var (_, labels) = WriteValid(false);
        var zipped = TempDirectory.Gzip(TempDirectory.Idx([3, 2, 3], Pixels));
        var images = _dir.WriteBytes("cut.gz", zipped[..(zipped.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith(images + ": byte ", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.EndsWith("(offset in the unzipped data)", e.Message);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("bad.gz", [0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith(images + ": ", e.Message);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void Trailing_bytes_are_an_error_at_the_first_extra_byte()
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("long", [.. TempDirectory.Idx([3, 2, 3], Pixels), 0, 0]);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith($"{images}: byte {16 + 18}: 2 bytes follow", e.Message);
    }

    [Fact]
    public void Wrong_magic_is_reported_at_byte_0()
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("png", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.Equal($"{images}: byte 0: magic 0x89504E47 is not an IDX header (expected 0x00000803: two zero bytes, type 0x08, 3 dimensions)", e.Message);
    }

    [Fact]
    public void Wrong_type_is_reported_at_byte_2()
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("floats", TempDirectory.Idx([1, 1, 1], [0, 0, 0, 0], type: 0x0D), gzip: true);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith($"{images}: byte 2: type 0x0D (32-bit float) is not supported", e.Message);
        Assert.EndsWith("(offset in the unzipped data)", e.Message);
    }

    [Fact]
    public void Swapped_files_give_a_wrong_dimension_count_at_byte_3()
    {
        var (images, labels) = WriteValid(false);
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(labels, images, "t"));
        Assert.StartsWith($"{labels}: byte 3: 1 dimensions, but images are an idx3 file", e.Message);
    }

    [Fact]
    public void Zero_sized_dimension_is_reported_where_it_is()
    {
        var (_, labels) = WriteValid(false);
        var images = _dir.WriteBytes("flat", TempDirectory.Idx([3, 0, 3], []));
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.StartsWith($"{images}: byte 8: dimension 1 has size 0", e.Message);
    }

    [Fact]
    public void Count_mismatch_between_images_and_labels_names_both_files()
    {
        var (images, _) = WriteValid(false);
        var labels = _dir.WriteBytes("two-labels", TempDirectory.Idx([2], [0, 1]));
        var e = Assert.Throws<DataFormatException>(() => Idx.LoadImagesAndLabels(images, labels, "t"));
        Assert.Equal($"{labels}: byte 4: 2 labels, but {images} holds 3 images; the two files must belong together", e.Message);
    }

    /// <summary>Loading MNIST's 60,000 training images costs little beyond the work that cannot be
    /// avoided (read, unzip, one float array): the bound is relative to doing just that, measured
    /// just before, since absolute times on a shared 2-core machine vary several-fold.</summary>
    [Fact]
    public void Sixty_thousand_images_load_about_as_fast_as_the_bare_minimum()
    {
        const int n = 60_000;
        var pixels = new byte[n * 784];
        // Every byte value, scattered (a multiplicative hash), compressing roughly as MNIST does.
        for (var i = 0; i < pixels.Length; i++) pixels[i] = i % 3 == 0 ? (byte)((uint)i * 2654435761u >> 24) : (byte)0;
        var images = _dir.WriteBytes("big-images", TempDirectory.Idx([n, 28, 28], pixels), gzip: true);
        var labels = _dir.WriteBytes("big-labels", TempDirectory.Idx([n], new byte[n]));
        var minimum = Time(() => BareMinimum(images));
        DataSet? data = null;
        var load = Time(() => data = Idx.LoadImagesAndLabels(images, labels, "big", classes: 10));
        Assert.Equal(n, data!.Count);
        Assert.Equal(-1, FirstMismatch(pixels, data.Features));
        Assert.True(load < 2 * minimum + TimeSpan.FromSeconds(1), $"loading took {load}, the bare minimum {minimum}");
    }

    private static float[] BareMinimum(string gzipped)
    {
        var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(File.ReadAllBytes(gzipped)), System.IO.Compression.CompressionMode.Decompress))
            gzip.CopyTo(output);
        var bytes = output.GetBuffer();
        var x = new float[output.Length];
        for (var i = 0; i < x.Length; i++) x[i] = bytes[i];
        return x;
    }

    private static int FirstMismatch(byte[] expected, float[] actual)
    {
        for (var i = 0; i < expected.Length; i++)
            if (actual[i] != expected[i]) return i;
        return actual.Length == expected.Length ? -1 : expected.Length;
    }

    private static TimeSpan Time(Action action)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        action();
        return watch.Elapsed;
    }
}

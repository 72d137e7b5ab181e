using System.Buffers.Binary;
using System.Numerics;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>
/// Reader of IDX files, the format MNIST and Fashion-MNIST ship in, as described on Yann
/// LeCun's MNIST page (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST
/// DATABASE"): a 4-byte magic number (two zero bytes, a type byte (0x08 = unsigned byte), and the
/// number of dimensions), then each dimension's size as a 32-bit big-endian integer, then the
/// data in row-major order. Images are idx3 (count, rows, columns), labels idx1 (count). Files
/// may be gzipped, as they are distributed; gzip is recognised by its content, not the name.
/// </summary>
public static class Idx
{
    /// <summary>The standard file names of the four MNIST files, each also accepted with ".gz".</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>MNIST and Fashion-MNIST both have ten classes.</summary>
    public const int MnistClasses = 10;

    /// <summary>
    /// Images and their labels as one data set: features are the pixel bytes, standing for the
    /// numbers 0..255, not scaled (use <see cref="Scaler"/>), one row per image, rows × columns
    /// features. The set keeps the bytes (see <see cref="DataSet"/>), with a table that decodes them
    /// to <paramref name="precision"/> (float32, or float64 for a float64 run, whose scaling then
    /// computes the pixels' values in double).
    /// </summary>
    /// <param name="classes">The number of classes; when null, the largest label + 1. Give it
    /// when a file may lack the highest class (a subset), so that train and test sets agree.</param>
    public static DataSet LoadImagesAndLabels(string imagesPath, string labelsPath, string name, int? classes = null,
        Precision precision = Precision.Float32)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "a data set needs at least one class");
        var images = IdxFile.Read(imagesPath, dimensions: 3, "images");
        var labels = IdxFile.Read(labelsPath, dimensions: 1, "labels");
        if (labels.Dimensions[0] != images.Dimensions[0])
            throw labels.Fail(4, $"{labels.Dimensions[0]} labels, but {imagesPath} holds {images.Dimensions[0]} images; the two files must belong together");
        var (y, classCount) = ToLabels(labels, classes);
        var pixels = images.Dimensions[1] * images.Dimensions[2];
        return precision == Precision.Float64
            ? new DataSet(name, images.Data.ToArray(), PixelValues64, pixels, y, classCount)
            : new DataSet(name, images.Data.ToArray(), PixelValues, pixels, y, classCount);
    }

    /// <summary>
    /// The training and test sets from a directory holding the four standard MNIST files
    /// (<see cref="TrainImagesFile"/> and the others, each raw or ".gz"; raw wins when both
    /// are there), with <see cref="MnistClasses"/> classes, decoded to <paramref name="precision"/>.
    /// </summary>
    public static (DataSet Train, DataSet Test) LoadMnistDirectory(string directory, Precision precision = Precision.Float32)
    {
        if (!Directory.Exists(directory))
            throw new DataFormatException(directory, "no such directory (expected one holding the four MNIST IDX files)");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        var train = LoadImagesAndLabels(Find(directory, TrainImagesFile), Find(directory, TrainLabelsFile), $"{name}/train", MnistClasses, precision);
        var test = LoadImagesAndLabels(Find(directory, TestImagesFile), Find(directory, TestLabelsFile), $"{name}/test", MnistClasses, precision);
        if (test.FeatureCount != train.FeatureCount)
            throw new DataFormatException(directory, $"test images have {test.FeatureCount} pixels, training images {train.FeatureCount}");
        return (train, test);
    }

    private static string Find(string directory, string fileName)
    {
        var raw = Path.Combine(directory, fileName);
        if (File.Exists(raw)) return raw;
        if (File.Exists(raw + ".gz")) return raw + ".gz";
        throw new DataFormatException(directory,
            $"neither {fileName} nor {fileName}.gz is there (an MNIST directory holds {TrainImagesFile}, {TrainLabelsFile}, {TestImagesFile} and {TestLabelsFile}, each raw or .gz)");
    }

    /// <summary>Byte v stands for the number v: the pixels as they are, 0..255, as float and as double.</summary>
    private static readonly float[] PixelValues = Enumerable.Range(0, 256).Select(v => (float)v).ToArray();
    private static readonly double[] PixelValues64 = Enumerable.Range(0, 256).Select(v => (double)v).ToArray();

    private static (int[] Labels, int Classes) ToLabels(IdxFile file, int? classes)
    {
        var bytes = file.Data;
        var y = new int[bytes.Length];
        var max = 0;
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = bytes[i];
            if (classes is { } k && y[i] >= k)
                throw file.Fail(file.DataOffset + i, $"label {y[i]} of item {i} is outside the {k} classes [0, {k})");
            max = Math.Max(max, y[i]);
        }
        return (y, classes ?? max + 1);
    }
}

/// <summary>One IDX file of unsigned bytes, header checked against its length.</summary>
internal sealed class IdxFile
{
    private const byte UnsignedByteType = 0x08;
    private readonly ArraySegment<byte> _bytes;

    private IdxFile(string path, ArraySegment<byte> bytes, bool unzipped, int dimensions, string what)
    {
        Path = path;
        _bytes = bytes;
        Unzipped = unzipped;
        if (bytes.Count == 0) throw new DataFormatException(path, $"the file is empty; expected IDX {what}");
        Dimensions = ReadHeader(dimensions, what);
        CheckLength(what);
    }

    public string Path { get; }
    /// <summary>Whether byte offsets are those of the unzipped content rather than of the file.</summary>
    public bool Unzipped { get; }
    public int[] Dimensions { get; }
    public int DataOffset => HeaderLength(Dimensions.Length);
    public ReadOnlySpan<byte> Data => _bytes.AsSpan(DataOffset);

    /// <summary>Reads and checks an IDX file of unsigned bytes with the given number of dimensions.</summary>
    public static IdxFile Read(string path, int dimensions, string what) =>
        new(path, DataFile.ReadBytes(path, out var unzipped), unzipped, dimensions, what);

    /// <summary>The error for a byte offset, which for a gzipped file counts unzipped bytes.</summary>
    public DataFormatException Fail(long offset, string message) =>
        DataFormatException.AtByte(Path, offset, Unzipped ? $"{message} (offset in the unzipped data)" : message);

    private static int HeaderLength(int dimensions) => 4 + 4 * dimensions;

    private int[] ReadHeader(int expected, string what)
    {
        var b = _bytes.AsSpan();
        if (b.Length < 4) throw Fail(b.Length, $"the file ends after {b.Length} bytes, inside the 4-byte IDX magic number");
        var magic = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (b[0] != 0 || b[1] != 0)
            throw Fail(0, $"magic 0x{magic:X8} is not an IDX header (expected 0x000008{expected:X2}: two zero bytes, type 0x08, {expected} dimensions)");
        if (b[2] != UnsignedByteType)
            throw Fail(2, $"type 0x{b[2]:X2} ({TypeName(b[2])}) is not supported; {what} must be unsigned bytes (0x08), as in MNIST");
        if (b[3] != expected)
            throw Fail(3, $"{b[3]} dimensions, but {what} are an idx{expected} file with {expected} (magic 0x{magic:X8}, expected 0x000008{expected:X2})");
        if (b.Length < HeaderLength(expected))
            throw Fail(b.Length, $"the file ends after {b.Length} bytes, inside the {HeaderLength(expected)}-byte header");
        return ReadDimensions(b, expected, what);
    }

    private int[] ReadDimensions(ReadOnlySpan<byte> b, int count, string what)
    {
        var dims = new int[count];
        for (var i = 0; i < count; i++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(b[(4 + 4 * i)..]);
            if (size == 0 || size > int.MaxValue)
                throw Fail(4 + 4 * i, $"dimension {i} has size {size}; {what} need at least one {(i == 0 ? "item" : "pixel")}");
            dims[i] = (int)size;
        }
        return dims;
    }

    private void CheckLength(string what)
    {
        long expected = 1;
        foreach (var d in Dimensions) expected *= d;
        if (expected > Array.MaxLength)
            throw Fail(4, $"the header promises {expected} bytes of {what}, more than one array can hold");
        long actual = _bytes.Count - DataOffset;
        var shape = string.Join(" × ", Dimensions);
        if (actual < expected)
            throw Fail(_bytes.Count, $"the file is truncated: the header promises {shape} = {expected} bytes of {what} after byte {DataOffset}, but only {actual} follow");
        if (actual > expected)
            throw Fail(DataOffset + expected, $"{actual - expected} bytes follow the {shape} = {expected} bytes of {what} the header promises");
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };
}
